"""Write the born-digital samples: DI/SI packages (電子公文) of the Secretariat's divisions.

    .venv/bin/python scripts/make_di_samples.py              # rewrites sample_scans/electronic/
    .venv/bin/python scripts/make_di_samples.py --out DIR

Written by us from the published tag sets (文書及檔案管理電腦化作業規範, 104 DTDs); all
people, numbers and contents are fictional. Output is deterministic (fixed zip times).
"""

from __future__ import annotations

import argparse
import json
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_scans" / "electronic"
AGENCY = "臺南市政府"
CODE = "395000000A"
ADDRESS = "708201臺南市安平區永華路2段6號"
NUMERALS = "一二三四五六七八九十"


@dataclass
class Di:
    """One DI: the tags we write and the ground truth they give."""

    kind: str  # root element (函, 簽, 公告, 開會通知單)
    subtype: str | None  # 函類別 代碼 (書函)
    unit: str
    contact: str
    recipients: list[str]
    date: str  # 中華民國113年6月3日
    prefix: str  # 府秘文
    number: str  # 1130012345
    subject: str
    sections: list[tuple[str, list[str]]]
    urgency: str = "普通件"
    secrecy: str = ""
    declassify: str = ""
    attachment: str = ""
    attachment_entities: dict[str, str] = field(default_factory=dict)
    originals: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    file_number: tuple[str, str, str] | None = None
    retention: str | None = None
    extra: list[tuple[str, str]] = field(default_factory=list)


def _e(text: str) -> str:
    return escape(text)


def doctype(di: Di) -> str:
    dtd = {"函": "104_2_utf8.dtd", "公告": "104_3_utf8.dtd", "開會通知單": "104_4_utf8.dtd",
           "簽": "104_5_utf8.dtd"}[di.kind]
    ents = "".join(f'<!ENTITY {n} SYSTEM {quoteattr(f)} NDATA _X>\n'
                   for n, f in di.attachment_entities.items())
    return f'<!DOCTYPE {di.kind} SYSTEM "{dtd}" [\n{ents}<!NOTATION _X SYSTEM "">\n]>\n'


#: 密等 -> the level the archive gives it (國家機密保護法 Art. 4; 密 is 一般公務機密)
GRADES = {"密": "restricted", "機密": "confidential", "極機密": "secret", "絕對機密": "top_secret"}


def secrecy(di: Di) -> str:
    level = f'<密等 代碼="{di.secrecy}"/>' if di.secrecy else "<密等/>"
    cond = f"<解密條件或保密期限>{_e(di.declassify)}</解密條件或保密期限>"
    return f"<密等及解密條件或保密期限>{level}{cond}</密等及解密條件或保密期限>\n"


def number(di: Di) -> str:
    tag = "文號" if di.kind == "簽" else "發文字號"
    return (f"<{tag}><字>{di.prefix}</字><文號><年度>{di.number[:3]}</年度>"
            f"<流水號>{di.number[3:]}</流水號></文號></{tag}>\n")


def attachment(di: Di) -> str:
    names = " ".join(di.attachment_entities)
    listed = f'<附件檔名 附件名="{names}"/>' if names else ""
    return f"<附件><文字>{_e(di.attachment)}</文字>{listed}</附件>\n"


def sections(di: Di) -> str:
    out = ""
    for name, items in di.sections:
        if len(items) == 1:
            out += f'<段落 段名="{name}"><文字>{_e(items[0])}</文字></段落>\n'
            continue
        rows = "".join(f'<條列 序號="{NUMERALS[i]}、"><文字>{_e(t)}</文字></條列>\n'
                       for i, t in enumerate(items))
        out += f'<段落 段名="{name}"><文字/>\n{rows}</段落>\n'
    return out


def names(tag: str, values: list[str]) -> str:
    return f"<{tag}>" + "".join(f"<全銜>{_e(v)}</全銜>" for v in values) + f"</{tag}>\n"


def file_tags(di: Di) -> str:
    out = ""
    if di.file_number:
        y, c, n = di.file_number
        out += f"<檔號><年度>{y}</年度><分類號>{c}</分類號><案次>{n}</案次></檔號>\n"
    if di.retention:
        out += f"<保存年限>{di.retention}</保存年限>\n"
    return out


def letter_xml(di: Di) -> str:
    kind = f'<函類別 代碼="{di.subtype or di.kind}"/>\n' if di.kind == "函" else ""
    body = (f"<{di.kind}>\n{file_tags(di)}"
            f"<發文機關><全銜>{AGENCY}</全銜><機關代碼>{CODE}</機關代碼></發文機關>\n{kind}"
            f"<地址>{ADDRESS}</地址>\n<聯絡方式>承辦單位：秘書處{di.unit}</聯絡方式>\n"
            f"<聯絡方式>承辦人：{di.contact}</聯絡方式>\n<聯絡方式>電話：06-2991111</聯絡方式>\n"
            + (names("受文者", di.recipients) if di.kind != "公告" else "")
            + f"<發文日期><年月日>{di.date}</年月日></發文日期>\n{number(di)}"
            + (f'<速別 代碼="{di.urgency}"/>\n{secrecy(di)}' if di.kind != "公告" else "")
            + attachment(di))
    if di.kind == "開會通知單":
        body += "".join(f"<{k}>{_e(v)}</{k}>\n" for k, v in [("開會事由", di.subject), *di.extra])
    else:
        body += f"<主旨><文字>{_e(di.subject)}</文字></主旨>\n{sections(di)}"
    if di.kind != "公告":
        body += names("正本", di.originals) + names("副本", di.copies)
    return body + f"<署名>市長　黃偉哲</署名>\n</{di.kind}>\n"


def memo_xml(di: Di) -> str:
    return (f"<簽>\n{file_tags(di)}<單位>臺南市政府秘書處{di.unit}</單位>\n"
            f"<年月日>{di.date}</年月日>\n{number(di)}<速別 代碼=\"{di.urgency}\"/>\n"
            f"{secrecy(di)}<擬辦方式>先簽後稿</擬辦方式>\n{attachment(di)}"
            f"<主旨><文字>{_e(di.subject)}</文字></主旨>\n{sections(di)}"
            f"<敬陳>敬陳　秘書長</敬陳>\n<署名>{di.unit}　{di.contact}</署名>\n</簽>\n")


def di_bytes(di: Di, encoding: str = "utf-8", bom: bool = False, crlf: bool = False) -> bytes:
    decl = f'<?xml version="1.0" encoding="{"big5" if encoding == "big5" else "UTF-8"}"?>\n'
    text = decl + doctype(di) + (memo_xml(di) if di.kind == "簽" else letter_xml(di))
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("cp950" if encoding == "big5" else "utf-8")
    return (b"\xef\xbb\xbf" if bom else b"") + data


@dataclass(frozen=True)
class Sign:
    action: str
    name: str
    title: str
    role: str
    unit: str
    at: str  # yyyMMddHHmm
    opinion: str = ""


def si_bytes(doc_id: str, signs: Sequence[Sign], files: Sequence[str]) -> bytes:
    flows = "".join(f'<簽核流程 Id="FLOW_{i}" 異動別="{s.action}"/>'
                    for i, s in enumerate(signs, 1))
    points = ""
    for i, s in enumerate(signs, 1):
        refs = "".join(f'<Reference URI="{f}"><DigestMethod Algorithm='
                       f'"http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>'
                       f"AAAA{i}</DigestValue></Reference>" for f in files)
        points += (
            f'<簽核點定義 Id="sign_{i}" URI="#FLOW_{i}">\n'
            '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>'
            '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
            f"{refs}</SignedInfo><SignatureValue>c2FtcGxl{i}</SignatureValue></Signature>\n"
            f'<Object Id="obj_{i}"><異動資訊><簽核人員><機關><全銜>{AGENCY}</全銜></機關>'
            f"<單位>{s.unit}</單位><職稱>{s.title}</職稱><姓名>{s.name}</姓名>"
            f"<角色>{s.role}</角色></簽核人員><異動別>{s.action}</異動別>"
            f"<簽章時間>{s.at}</簽章時間><簽核意見>{_e(s.opinion)}</簽核意見></異動資訊>"
            f'<簽核資訊><簽核文件夾 Id="folder_{i}"><檔案清單>'
            + "".join(f"<電子檔案資訊><檔案名稱>{f}</檔案名稱></電子檔案資訊>" for f in files)
            + "</檔案清單></簽核文件夾></簽核資訊></Object>\n</簽核點定義>\n")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<線上簽核 Id="{doc_id}">\n'
           f'<線上簽核流程 Id="flow">{flows}</線上簽核流程>\n'
           f'<線上簽核資訊 Id="info">\n{points}</線上簽核資訊>\n</線上簽核>\n')
    return b"\xef\xbb\xbf" + xml.replace("\n", "\r\n").encode()


# ── the packages ───────────────────────────────────────────────────────────────


@dataclass
class Sample:
    folder: str  # under electronic/; a zip when it ends in .zip
    di: Di
    encoding: str = "utf-8"
    bom: bool = True
    crlf: bool = True
    signs: list[Sign] = field(default_factory=list)
    versions: int = 1
    phrase: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


def clerk_signs(unit: str, clerk: str, chief: str, day: str) -> list[Sign]:
    return [Sign("送件", clerk, "科員", "承辦人", f"秘書處{unit}", f"{day}0915"),
            Sign("決行", chief, "科長", "決行人員", f"秘書處{unit}", f"{day}1640", "如擬")]


def samples() -> list[Sample]:
    return [
        Sample("1130012345", Di(
            "函", None, "文書科", "周雅婷", ["本府各一級機關"], "中華民國113年6月3日", "府秘文",
            "1130012345", "函轉「文書及檔案管理電腦化作業規範」修正規定，請查照。",
            [("說明：", ["依國家發展委員會檔案管理局113年5月2日檔應字第1130004567號函辦理。",
                        "本次修正重點為電子公文交換改採一百零四年版文件類型定義，請配合更新公文系統。"])],
            originals=["本府各一級機關"], copies=["本府秘書處檔案科"]),
            signs=clerk_signs("文書科", "周雅婷", "郭建宏", "1130603"), phrase="文件類型定義"),
        Sample("1130023456", Di(
            "函", "書函", "總務科", "蔡宗翰", ["臺南市議會"], "中華民國113年6月12日", "府秘總",
            "1130023456", "有關本府永華市政中心地下停車場調整收費時段一案，復如說明，請查照。",
            [("說明：", ["貴會來函建議夜間時段開放民眾免費停車，"
                        "經評估後將延長優惠時段至晚間十時。"])],
            originals=["臺南市議會"], copies=["本府秘書處總務科"]),
            encoding="big5", bom=False, crlf=True, phrase="優惠時段"),
        Sample("1130034567.zip", Di(
            "簽", None, "專務科", "陳怡君", [], "中華民國113年6月18日", "府秘專", "1130034567",
            "擬具本府113年度外賓致贈紀念品典藏及展示計畫，簽請核示。",
            [("說明：", ["本科保管外賓致贈紀念品計八十六件，擬分批移入市政資料館展示櫃陳列。",
                        "展示期間由專人每日巡查並登錄溫溼度紀錄。"]),
             ("擬辦：", ["奉核後函請文化局協助布展事宜。"])],
            file_number=("113", "010401", "2"), retention="10"),
            signs=[Sign("送件", "陳怡君", "科員", "承辦人", "秘書處專務科", "11306180930"),
                   Sign("核稿", "林志明", "科長", "核稿人員", "秘書處專務科", "11306181105",
                        "擬如擬"),
                   Sign("陳核", "王美華", "主任秘書", "陳核人員", "秘書處", "11306191010",
                        "請秘書長核示"),
                   Sign("決行", "張大同", "秘書長", "決行人員", "秘書處", "11306191530", "如擬")],
            versions=3, phrase="溫溼度紀錄"),
        Sample("1130045678", Di(
            "開會通知單", None, "檔案科", "李淑芬", ["本府各一級機關檔案管理單位"],
            "中華民國113年6月25日", "府秘檔", "1130045678",
            "召開113年度檔案清查及銷毀作業協調會議", [],
            originals=["本府各一級機關檔案管理單位"], copies=["本府秘書處檔案科"],
            extra=[("開會時間", "113年7月10日（星期三）下午2時30分"),
                   ("開會地點", "本府永華市政中心10樓第1會議室"),
                   ("主持人", "秘書處檔案科科長"), ("聯絡人及電話", "李淑芬 06-2991111分機8302"),
                   ("出席者", "本府各一級機關檔案管理人員"),
                   ("備註", "請攜帶各單位待銷毀檔案目錄清冊與會。")]),
            signs=clerk_signs("檔案科", "李淑芬", "吳明哲", "1130625"), phrase="目錄清冊"),
        Sample("1130056789", Di(
            "函", None, "採購管理科", "黃柏翰", ["臺南市安平區公所"], "中華民國113年6月28日",
            "府秘採", "1130056789", "檢送本府113年度採購稽核小組稽核紀錄1份，請查照。",
            [("說明：", ["本府採購稽核小組於113年5月28日赴貴所稽核勞務採購案件。",
                        "稽核發現事項請於文到30日內研提精進作為並函復本府。"])],
            attachment="稽核紀錄1份", attachment_entities={"ATTCH1": "稽核紀錄.pdf"},
            originals=["臺南市安平區公所"], copies=["本府秘書處採購管理科"]),
            signs=clerk_signs("採購管理科", "黃柏翰", "許文彬", "1130628"), phrase="精進作為"),
        Sample("1130067890", Di(
            "函", None, "專務科", "陳怡君", ["本府觀光旅遊局"], "中華民國113年7月5日", "府秘專",
            "1130067890", "有關市長率團訪問姊妹市之行程安排及接待事宜，請查照。",
            [("說明：", ["本府訪問團預定113年9月中旬出訪，行程及住宿資料列為限閱。",
                        "請貴局協助安排禮賓接待並於8月15日前提供聯絡窗口名單。"])],
            urgency="速件", secrecy="密", declassify="本案於訪問團返國後解密",
            originals=["本府觀光旅遊局"], copies=["本府秘書處專務科"],
            file_number=("113", "010302", "5"), retention="10"),
            signs=clerk_signs("專務科", "陳怡君", "林志明", "1130705"), phrase="聯絡窗口名單"),
        Sample("1130078901", Di(
            "公告", None, "廳舍管理科", "鄭家豪", [], "中華民國113年7月22日", "府秘廳",
            "1130078901", "公告本府永華市政中心113年8月3日辦理電力設備年度檢修，當日停止供電。",
            [("依據：", ["用戶用電設備檢驗維護辦法第5條。"]),
             ("公告事項：", ["檢修期間電梯及空調暫停運轉。",
                            "洽公民眾請改至民治市政中心東棟辦理。"])]),
            phrase="民治市政中心東棟"),
    ]


def attachment_pdf(title: str, lines: list[str]) -> bytes:
    """A born-digital PDF attachment with a text layer."""
    from fpdf import FPDF

    from pipeline.di.render import _font

    pdf = FPDF(unit="mm", format="A4")
    pdf.set_creation_date(datetime(2024, 6, 28, 9, 0, tzinfo=UTC))
    path, index = _font("Regular")
    pdf.add_font("tc", "", path, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("tc", "", 16)
    pdf.text(25, 30, title)
    pdf.set_font("tc", "", 12)
    for i, line in enumerate(lines):
        pdf.text(25, 45 + 9 * i, line)
    return bytes(pdf.output())


AUDIT_PDF_LINES = ["受稽核機關：臺南市安平區公所", "稽核日期：113年5月28日",
                   "稽核案件：安平區公所清潔勞務採購案", "稽核發現：契約變更未依規定簽報核准",
                   "缺失等級：輕微", "改善期限：113年7月31日"]


def package_files(s: Sample) -> dict[str, bytes]:
    base = s.folder.removesuffix(".zip")
    data = di_bytes(s.di, s.encoding, s.bom, s.crlf)
    files: dict[str, bytes] = {}
    names = ([f"{base}.di"] if s.versions == 1
             else [f"{base}_{i}.di" for i in range(1, s.versions + 1)])
    for name in names:
        files[name] = data
    if s.signs:
        files[f"{base}.si"] = si_bytes(base, s.signs, names)
    for entity_file in s.di.attachment_entities.values():
        files[entity_file] = attachment_pdf("採購稽核紀錄", AUDIT_PDF_LINES)
    return files


def write_sample(s: Sample, out: Path) -> None:
    files = package_files(s)
    if s.folder.endswith(".zip"):
        with zipfile.ZipFile(out / s.folder, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(zipfile.ZipInfo(name, (2024, 6, 19, 15, 30, 0)), data,
                            zipfile.ZIP_DEFLATED)
        return
    folder = out / s.folder
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def roc_iso(text: str) -> str:
    y, rest = text.removeprefix("中華民國").split("年")
    m, d = rest.removesuffix("日").split("月")
    return f"{int(y) + 1911:04d}-{int(m):02d}-{int(d):02d}"


def truth(s: Sample) -> dict[str, Any]:
    di = s.di
    prefix = di.prefix
    fields = {
        "doc_kind": di.subtype or di.kind, "doc_number": f"{prefix}字第{di.number}號",
        "doc_date": roc_iso(di.date), "issuing_agency": AGENCY if di.kind != "簽" else None,
        "subject": di.subject, "urgency": di.urgency if di.kind != "公告" else None,
        "classification": di.secrecy or None, "declassify": di.declassify or None,
        "file_number": "/".join(di.file_number) if di.file_number else None,
        "retention": f"{di.retention}年" if di.retention else None,
    }
    return {
        "package": f"electronic/{s.folder}",
        "kind": di.subtype or di.kind,
        "format": "di-zip" if s.folder.endswith(".zip") else "di-folder",
        "encoding": s.encoding,
        "division": di.unit,
        "fields": {k: v for k, v in fields.items() if v is not None},
        "confidentiality": GRADES.get(di.secrecy, "internal"),
        "attachments": len(di.attachment_entities),
        "sign_offs": [{"signer": g.name, "title": g.title, "unit": g.unit, "action": g.action,
                       "signed_at": _roc_minute(g.at), "opinion": g.opinion or None}
                      for g in s.signs],
        "search_phrases": [{"text": s.phrase}],
    }


def _roc_minute(value: str) -> str:
    return (f"{int(value[:3]) + 1911:04d}-{value[3:5]}-{value[5:7]}T"
            f"{value[7:9]}:{value[9:11]}")


def build_truth() -> list[dict[str, Any]]:
    return [truth(s) for s in samples()]


def generate(out: Path) -> list[dict[str, Any]]:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for s in samples():
        write_sample(s, out)
    data = build_truth()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    (out / "ground_truth.json").write_text(text, encoding="utf-8")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    data = generate(args.out)
    print(f"wrote {len(data)} packages to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
