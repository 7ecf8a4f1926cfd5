"""DI/SI packages for tests, written with the sample generator's own builders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ELECTRONIC = ROOT / "sample_scans" / "electronic"


def generator() -> ModuleType:
    """``scripts/make_di_samples.py`` as a module."""
    if "make_di_samples" in sys.modules:
        return sys.modules["make_di_samples"]
    spec = importlib.util.spec_from_file_location("make_di_samples",
                                                  ROOT / "scripts" / "make_di_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_di_samples"] = module
    spec.loader.exec_module(module)
    return module


def sample(folder: str) -> Any:
    return next(s for s in generator().samples() if s.folder == folder)


def write_package(root: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


MEMO_NOTE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE 便簽 SYSTEM "104_5_utf8.dtd">
<便簽>
<單位>臺南市政府秘書處總務科</單位>
<年月日>中華民國113年8月1日</年月日>
<主旨><文字>請於本週五前回報各樓層飲水機濾心更換情形。</文字></主旨>
<段落 段名="說明："><文字>本科將彙整後統一洽廠商辦理濾心更換。</文字></段落>
<署名>總務科　蔡宗翰</署名>
</便簽>
"""


def billion_laughs() -> str:
    ents = '<!ENTITY lol0 "lollollollollollol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE 函 [{ents}]>\n'
            "<函><主旨><文字>&lol9;</文字></主旨></函>\n")


def external_entity(target: Path) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE 函 [<!ENTITY secret SYSTEM "file://{target}">]>\n'
            "<函><主旨><文字>&secret;</文字></主旨></函>\n")


def parameter_entity(target: Path) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE 函 [<!ENTITY % ext SYSTEM "file://{target}"> %ext;]>\n'
            "<函><主旨><文字>測試</文字></主旨></函>\n")


def deep_nesting(depth: int = 10_000) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE 函 SYSTEM "104_2_utf8.dtd">\n'
            "<函><主旨><文字>深</文字></主旨>" + "<段落>" * depth + "</段落>" * depth + "</函>\n")
