"""The clerk's evidence: 主旨 over 說明, document kind, class descriptions, calibrated
decisions with a threshold from measured precision, out of scope as an answer, and the
mapping of the development set (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import calibration
from pipeline import classifier_model as cm
from pipeline.calibration import choose_threshold, exact
from pipeline.classify import (
    OUT_OF_SCOPE_REASON,
    Context,
    Decision,
    decide,
    general_class,
    likely_division,
    model_weight,
    schedule_of,
    weight_of,
)
from pipeline.clerk import class_description, document_kind, subject_of, views
from pipeline.retention.schedule import Schedule
from pipeline.settings import REPO_RULES_DIR
from tests import real_text_labels as rl
from tests.classify_support import EXPECTED, GROUND_TRUTH, sample_text

DENGUE = ("巡、倒、清、刷，不幫病媒蚊養家！颱風豪雨後產生大量積水容器，導致病媒蚊孳生機會大幅增加，"
          "大雨過後為登革熱防治關鍵期，請民眾落實孳生源清除，住家前後環境巡查倒除積水。")


UNRELATED = (DENGUE, "春節連假安平老街觀光人潮眾多，觀光旅遊局推出文化導覽活動。",
             "農業部公告颱風造成香瓜及水稻秧苗受損，農民可申請現金救助。",
             "戶政事務所延長夜間服務時間，民眾可辦理戶籍登記及身分證換發。",
             "衛生局提醒民眾接種流感疫苗，並注意手部衛生與咳嗽禮節。",
             "區公所辦理社區運動會，歡迎里民踴躍報名參加各項趣味競賽。",
             # out of scope, yet in the words of a class (一般公告, 為民服務): wrong if filed
             "公告\n主旨：公告本縣颱風農業災害現金救助地區及項目。\n公告事項：一、救助對象為農民。",
             "戶政事務所為民服務時間調整，提升服務品質，週三延長受理戶籍登記至晚間八時。")


@pytest.fixture(scope="module")
def schedule() -> Schedule:
    return schedule_of(REPO_RULES_DIR)


@pytest.fixture(scope="module")
def described(schedule: Schedule) -> cm.TrainedModel:
    """A model of the class descriptions only: no confirmed document yet."""
    return cm.train([], [], schedule.schedule_id, schedule.version, schedule)


@pytest.mark.parametrize(("text", "kind"), [
    # a press page says who released it and when; the rule its news is about is no rule
    ("雲林縣戶政事務所調整服務時段\n發布單位：公共關係科\n依據戶籍登記要點辦理。", "新聞稿"),
    ("本市香瓜受損，農業部在昨（10）日公告本市為救助地區，依辦法申請。", "新聞稿"),
    # a page whose title is a question answers it
    ("提起採購申訴法定期間及方式為何？\n一、依政府採購法第76條規定…", "問答"),
    ("發文字號：\n銓敘部部銓一字第0983086366號函\n要  旨：各機關辦理公開甄選時…", "函"),
    ("行政公告 109.06.02 發布單位：政務室\n壹、甄選員額：…", "公告"),
    # a rule introduces itself or is laid out in chapters; one named in passing is not one
    ("壹、總述\n一、依據：物品管理手冊。\n三、定義：物品管理要點（以下簡稱本要點）所稱…", "規定"),
    ("壹、總則\n一、各機關決算之編製，悉依本要點辦理。", "規定"),
    ("因近期飲宴應酬事件常受關注，請各單位主管督導屬員嚴格遵守「公務員廉政倫理規範」中有關飲宴"
     "應酬之規定。\n公務員原則上不得參加…", "其他"),
    ("機關檔案管理評鑑制度簡介\n本局及主管機關得依據本要點規定，請機關敘獎。", "其他"),
    ("臺南市政府秘書處 設備報修單\n報修編號 R1130521-007", "表單"),
])
def test_the_kind_of_a_document_is_read_from_what_it_shows(text: str, kind: str) -> None:
    assert document_kind(text) == kind


def test_the_subject_and_the_kind_of_a_letter_are_read() -> None:
    letter = ("臺南市政府 函\n受文者：本府各機關\n主旨：請加強公文稽催，請查照。\n"
              "說明：\n一、依規定辦理。")
    assert subject_of(letter) == "請加強公文稽催，請查照。"
    assert document_kind(letter) == "函"
    assert document_kind("簽 於秘書處總務科\n主旨：擬辦理消防演練。") == "簽"
    assert document_kind("法規名稱：臺中市公務機關聯合辦公大樓管理要點\n一、為管理…") == "規定"
    assert document_kind("第一次業務會議紀錄\n開會時間：113年5月1日") == "會議紀錄"
    # a law database's page is a rule, whatever form annexed to it carries a 主旨
    assert document_kind("法規名稱：公文時效管制要點\n附件\n主旨：逾期公文稽催") == "規定"
    # OCR lost the 說明 label (and a numeral): the subject still ends with its paragraph
    memo = "簽 於秘書處總務科\n主旨:擬辦理電梯汰換案,簽請核示。\n一、擬循公開招標程序辦理。"
    assert subject_of(memo) == "擬辦理電梯汰換案,簽請核示。"
    lost = "主旨：請辦理公\n文稽催，請查照\n、經統計逾限公文"
    assert subject_of(lost) == "請辦理公 文稽催，請查照"
    # OCR lost the 主旨 label itself (it stands in its own column): the colon-led sentence
    # before the 說明 is the subject, not a header value whose label was blanked
    unlabelled = ("發文日期:中華民國110年1月18日\n:本府行政大樓外牆磁磚剝落,請派員勘查,請查照。\n"
                  "說明:\n、行政大樓建於民國70年。")
    assert subject_of(unlabelled) == "本府行政大樓外牆磁磚剝落,請派員勘查,請查照。"
    blanked = "　　　　:中華民國110年1月18日\n說明:\n、依規定辦理。"
    assert subject_of(blanked) != "中華民國110年1月18日"
    # one article of a law: the article says what the page is about, the law's name places it
    article = ("法規名稱：印信製發啟用管理換發及廢舊印信繳銷辦法\n第 7 條\n"
               "印信蓋用時，管理人員應備置印信蓋用登記簿。\n前項登記簿應隨同印信移交。")
    assert subject_of(article) == "印信蓋用時，管理人員應備置印信蓋用登記簿。"
    rule = "臺中市公務機關聯合辦公大樓管理要點\n一、臺中市政府為管理辦公大樓。"
    assert views(rule).subject.startswith("臺中市公務機關聯合辦公大樓管理要點")


def test_the_subject_decides_over_the_body(schedule: Schedule) -> None:
    text = ("主旨：本處公務車輛調派及使用情形，請查照。\n"
            "說明：一、另案檔案銷毀及檔案移轉作業另行通知。")
    d = decide(text, Context(schedule, 0.6))
    assert d.class_code == "030201"
    assert any(e["kind"] == "subject" for e in d.explanation["evidence"])


def test_a_class_without_examples_is_found_by_its_description(
        schedule: Schedule, described: cm.TrainedModel) -> None:
    sims = cm.description_similarity(described, "主旨：檢送本府姊妹市締結協定書草案，請查照。")
    assert max(sims, key=lambda c: sims[c]) == "010502"
    probs = cm.probabilities(described, "主旨：職務宿舍配借及收回作業，請查照。")
    assert max(probs, key=lambda c: probs[c]) == "0405"


def test_out_of_scope_is_said_not_forced_into_the_nearest_class(
        schedule: Schedule, described: cm.TrainedModel) -> None:
    d = decide(UNRELATED[1], Context(schedule, 0.6, described))  # a tourism notice
    assert d.class_code is None and d.review_reason == OUT_OF_SCOPE_REASON
    assert "不屬本處檔案類目？" in d.explanation["summary"]
    assert d.needs_review(0.0)


def test_a_text_like_one_confirmed_out_of_scope_is_told_apart(schedule: Schedule) -> None:
    model = calibration.train_model([exact(t, cm.OUT_OF_SCOPE) for t in UNRELATED], schedule)
    assert model.strangers is not None and cm.OUT_OF_SCOPE not in model.classes
    near = "戶政事務所調整延時服務時段，民眾可於週六上午辦理戶籍登記。"
    far = "主旨：本處公務車輛調派及使用情形，請查照。"
    assert cm.stranger_similarity(model, near) > 0.3 > cm.stranger_similarity(model, far)
    # one weak rule word is no class: out of scope, whatever the threshold
    assert decide(near, Context(schedule, 0.0, model)).class_code is None
    # the calibrator sees the likeness of a text whose rule words keep a class proposed
    service = "戶政事務所調整延時為民服務時段，提升服務品質，民眾可辦理戶籍登記。"
    likeness = cm.stranger_similarity(model, service)
    assert likeness > 0.3
    assert decide(service, Context(schedule, 0.0, model)).features[-2] == pytest.approx(likeness)
    # under review, the likeness is said in words
    d = decide(service, Context(schedule, 1.0, model))
    assert d.class_code == "1005"
    assert "與曾判定不屬本處檔案類目之文件相近" in d.explanation["summary"]
    assert cm.stranger_similarity(None, near) == 0.0


def test_the_threshold_is_the_lowest_with_the_target_precision() -> None:
    probs = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6, 0.4]
    right = [1, 1, 1, 1, 0, 1, 0]
    assert choose_threshold(probs, right, 0.8) == 0.6  # 5 of 6 right at or above 0.6
    assert choose_threshold(probs, right, 0.95) == 0.8
    assert choose_threshold([0.9, 0.8], [0, 0], 0.95) == 1.0  # nothing reaches it
    assert choose_threshold([0.45, 0.4], [1, 1], 0.95) == 1.0  # never below 0.5


def test_a_decision_sent_to_review_anyway_does_not_raise_the_threshold() -> None:
    split = Decision("010301", 0.97, "rules", review_reason="規則證據分歧")
    plain = [Decision("040302", p, "rules") for p in (0.95, 0.9, 0.8)]
    probs, right = [0.97, 0.95, 0.9, 0.8], [0, 1, 1, 1]
    assert calibration.filing_threshold([split, *plain], probs, right, 0.95) == 0.8
    assert choose_threshold(probs, right, 0.95) == 1.0  # counted, it would file nothing


def test_calibrated_confidence_separates_right_from_wrong(schedule: Schedule) -> None:
    examples = [exact(sample_text(e), EXPECTED[e["file"]][1]) for e in GROUND_TRUTH]
    examples += [exact(t, cm.OUT_OF_SCOPE) for t in UNRELATED]
    model = calibration.fit(examples, schedule)
    assert model.calibrator is not None and model.threshold is not None
    assert 0.5 <= model.threshold <= 1.0 and model.calibration["decisions"] >= 20
    # every example is decided once per split into folds: more decisions than examples
    assert model.calibration["shuffles"] == calibration.SHUFFLES > 1
    assert model.calibration["decisions"] > len(examples)
    assert model.weight in calibration.WEIGHTS
    decided = calibration.held_out_decisions(examples, schedule, weights=(model.weight,))
    held_out = [(e, d) for e, d in decided[model.weight] if d.class_code is not None]
    probs = model.calibrator.predict_proba([d.features for _, d in held_out])[:, 1]
    right = [p for (e, d), p in zip(held_out, probs, strict=True) if e.accepts(d.class_code)]
    wrong = [p for (e, d), p in zip(held_out, probs, strict=True)
             if not e.accepts(d.class_code)]
    assert right and wrong and all(0.0 <= p <= 1.0 for p in probs)
    assert sum(right) / len(right) > sum(wrong) / len(wrong) + 0.2


def test_development_set_labels_map_to_classes_divisions_or_out_of_scope(
        tmp_path: Path, schedule: Schedule) -> None:
    (tmp_path / "LABELS.csv").write_text(
        "file,url,agency,doc_kind,division,function,chars\n"
        "09_faq.txt,u,a,其他,archives,檔案銷毀,10\n"
        "19_press.txt,u,a,規定,special_affairs,新聞,10\n"
        "44_hr.txt,u,a,規定,personnel,差勤,10\n"
        "53_dengue.txt,u,a,新聞稿,other,登革熱,10\n", encoding="utf-8")
    for name in ("09_faq.txt", "19_press.txt", "44_hr.txt", "53_dengue.txt"):
        (tmp_path / name).write_text("text", encoding="utf-8")
    faq, press, hr, dengue = rl.load(schedule, tmp_path)
    assert faq.classes == ("060401",) and rl.right(schedule, faq, "060401")
    assert press.target_division == "special_affairs"
    assert rl.right(schedule, press, "010501") and not rl.right(schedule, press, "020101")
    if "0703" in schedule:  # the schedule has personnel classes: 差勤 is 0703
        assert hr.classes == ("0703",) and rl.right(schedule, hr, "070301" if "070301" in
                                                     schedule else "0703")
    else:
        assert hr.target_division == (rl.schedule_division(schedule, "personnel") or rl.OUT)
    assert dengue.out_of_scope and rl.right(schedule, dengue, None)
    assert not rl.right(schedule, dengue, "020302")


def test_the_readmes_alternatives_count_only_in_their_own_figure(
        tmp_path: Path, schedule: Schedule) -> None:
    """A judgement call of the set (dormitory repairs: general_affairs, "could also be"
    office_management) is right in the alternatives' figure at division level only; the
    strict figure and the training label keep the set's label."""
    (tmp_path / "LABELS.csv").write_text(
        "file,url,agency,doc_kind,division,function,chars\n"
        "22_dorm.txt,u,a,規定,general_affairs,宿舍設備修繕申請,10\n"
        "29_drill.txt,u,a,函,office_management,防空疏散避難演練,10\n"
        "24_cashier.txt,u,a,規定,general_affairs,出納管理,10\n", encoding="utf-8")
    for name in ("22_dorm.txt", "29_drill.txt", "24_cashier.txt"):
        (tmp_path / name).write_text("text", encoding="utf-8")
    dorm, drill, cashier = rl.load(schedule, tmp_path)
    assert dorm.alternative == "office_management" and schedule.get("0405").division == \
        "office_management"
    assert not rl.right(schedule, dorm, "0405") and rl.right_or_alternative(schedule, dorm, "0405")
    assert rl.right_or_alternative(schedule, dorm, "03030101")  # its own label stays right
    assert not rl.right_or_alternative(schedule, dorm, "060401")  # another division is not
    assert dorm.training_label(schedule) == "03030101"
    # "could also be other": no class (out of scope) is right in that figure only
    assert drill.alternative == rl.OUT
    assert rl.right_or_alternative(schedule, drill, None) and not rl.right(schedule, drill, None)
    assert cashier.alternative is None and not rl.right_or_alternative(schedule, cashier, "0405")


def test_each_division_has_its_class_for_other_matters(schedule: Schedule) -> None:
    assert general_class(schedule, "archives") == "0699"
    assert general_class(schedule, "procurement_management") == "0599"
    assert general_class(schedule, "documentation") == "0299"  # not 1099 or 1199
    assert general_class(schedule, "no_such_division") is None


def test_a_review_names_the_division_the_evidence_points_to(schedule: Schedule) -> None:
    text = "主旨：本處屆期檔案銷毀及永久保存檔案移轉作業，請查照。"
    unsure = decide(text, Context(schedule, 0.99))  # rules alone stay below 0.99
    assert unsure.class_code in {"060401", "060402"} and unsure.needs_review(0.99)
    division = unsure.explanation["division"]
    assert division["key"] == "archives" and division["general_class"] == "0699"
    assert division["share"] >= 0.6
    assert "證據多指向檔案科" in unsure.explanation["summary"] and "0699" in unsure.explanation[
        "summary"]
    sure = decide(text, Context(schedule, 0.0))  # filed: no division to point to
    assert "division" not in sure.explanation
    spread = {"060401": 0.4, "030201": 0.35, "020101": 0.25}  # no division holds 60 %
    assert likely_division(schedule, spread) is None


def test_the_model_weight_is_the_one_right_most_often_on_held_out_texts() -> None:
    a, b = exact("甲", "060401"), exact("乙", "030201")

    def decision(code: str) -> Decision:
        return Decision(code, 0.5, "combined")

    decided: dict[float | None, list[tuple[calibration.Example, Decision]]] = {
        0.0: [(a, decision("060401")), (b, decision("060401"))],
        0.3: [(a, decision("060401")), (b, decision("030201"))],
        0.45: [(a, decision("060401")), (b, decision("030201"))],
    }
    assert calibration.choose_weight(decided) == 0.3  # a tie goes to the smaller weight
    model = cm.train(["甲乙", "丙丁"], ["060401", "030201"], "t", 1)
    assert weight_of(model) == model_weight(2)  # not chosen: by the number of examples
    model.weight = 0.0
    assert weight_of(model) == 0.0 and weight_of(None) == 0.0


def test_work_without_a_class_goes_to_its_divisions_other_class(schedule: Schedule) -> None:
    parking = ("法規名稱：某機關辦公大樓停車場管理要點\n一、為有效管理本大樓停車場，確保洽公民眾"
               "停車環境，特訂定本要點。\n二、停車位分配依各單位員額比例辦理。")
    d = decide(parking, Context(schedule, 0.6))
    assert d.class_code == "0499"  # 其他廳舍管理: parking has no class of its own
    described = class_description(schedule, schedule.get("0499")).body
    assert "停車場及聯合辦公大樓管理" in described and "en=" not in described


def test_rules_of_two_classes_matching_alike_leave_the_choice_to_a_person(
        schedule: Schedule) -> None:
    text = ("主旨：重申拒絕受贈財物及餽贈，並落實請託關說登錄，請查照。\n"
            "說明：同仁遇有受贈財物、餽贈或請託關說，應依廉政倫理規範登錄。")
    d = decide(text, Context(schedule, 0.0))  # any confidence files, but not split evidence
    assert d.class_code in {"010301", "0803"} and d.needs_review(0.0)
    assert d.review_reason is not None and d.review_reason.startswith("規則證據分歧")
    clear = decide("主旨：本處113年第1季受贈財物登記表，請查照。", Context(schedule, 0.0))
    assert clear.class_code == "010301" and clear.review_reason is None
