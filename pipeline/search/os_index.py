"""OpenSearch connection, index template and the alias the application reads and writes.

Pages live in ``<alias>-<UTC timestamp>`` indices created from the template
``<alias>-template``; the application only ever names the alias. ``records
reindex`` loads a new index and moves the alias in one atomic call, so search
never sees a moment without an index.

Text is analysed three ways (one source field, three sub-fields):

- ``text``: CJK bigrams (Lucene's ``cjk_bigram``), so unspaced Chinese is
  found from any two adjacent characters; English lower-cased.
- ``text.chars``: one token per CJK character, Latin words whole; phrases of
  it match any run of characters exactly (single characters, mixed 第113號).
- ``text.english``: English with stemming.

As in ``pipeline.text``: a line break between two CJK characters is layout,
not a word boundary, and any punctuation is one (``mail.tainan.gov.tw``,
``06-2991111``, ``113.05.20`` are several words). Two char filters do this
before the standard tokenizer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from opensearchpy import OpenSearch

from pipeline.errors import ConfigError
from pipeline.settings import Settings

#: bump when the mappings or analysis change; ``records index verify`` reports old indices
SCHEMA_VERSION = 1
_CJK = r"[\p{IsHan}\p{IsHiragana}\p{IsKatakana}\p{IsHangul}]"
_TEXT_FILTERS = ["cjk_width", "lowercase"]

_BASE_ANALYZER: dict[str, Any] = {
    "type": "custom",
    "char_filter": ["records_cjk_gap", "records_punctuation"],
    "tokenizer": "standard",
}
ANALYSIS: dict[str, Any] = {
    "char_filter": {
        "records_cjk_gap": {
            "type": "pattern_replace",
            "pattern": f"(?<={_CJK})\\s+(?={_CJK})",
            "replacement": "",
        },
        # one character for one, so highlight offsets stay right
        "records_punctuation": {
            "type": "pattern_replace",
            "pattern": r"[^\p{L}\p{N}\p{M}\s]",
            "replacement": " ",
        },
    },
    "filter": {
        "records_possessive": {"type": "stemmer", "language": "possessive_english"},
        "records_stemmer": {"type": "stemmer", "language": "english"},
    },
    "analyzer": {
        "records_cjk": {**_BASE_ANALYZER, "filter": [*_TEXT_FILTERS, "cjk_bigram"]},
        "records_chars": {**_BASE_ANALYZER, "filter": _TEXT_FILTERS},
        "records_english": {
            **_BASE_ANALYZER,
            "filter": [*_TEXT_FILTERS, "records_possessive", "records_stemmer"],
        },
    },
}

_TEXT = {
    "type": "text",
    "analyzer": "records_cjk",
    "fields": {
        "chars": {"type": "text", "analyzer": "records_chars"},
        "english": {"type": "text", "analyzer": "records_english"},
    },
}
KEYWORDS = ("class_code", "division", "status", "confidentiality", "record_type", "box",
            "folder", "source", "media_type", "original_name")

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "_meta": {"schema_version": SCHEMA_VERSION},
    "properties": {
        "document_id": {"type": "integer"},
        "page": {"type": "integer"},
        "batch_id": {"type": "integer"},
        "text": _TEXT,
        "title": _TEXT,
        **{name: {"type": "keyword"} for name in KEYWORDS},
        #: typed fields (``Document.fields``) as ``key=value`` keywords, for exact filters
        "field_values": {"type": "keyword"},
        "document_date": {"type": "date", "format": "strict_date"},
        "created_at": {"type": "date"},
        "confidence": {"type": "float"},
    },
}


def client_from_settings(settings: Settings, max_retries: int = 2) -> OpenSearch:
    """A client for ``RECORDS_SEARCH_URL`` (comma-separated nodes), credentials and CA."""
    hosts, url_auth = parse_hosts(settings.search_url)
    kwargs: dict[str, Any] = {
        "hosts": hosts,
        "timeout": settings.search_timeout,
        "max_retries": max_retries,
        "retry_on_timeout": True,
        "verify_certs": settings.search_verify_certs,
    }
    if auth := credentials(settings, url_auth):
        kwargs["http_auth"] = auth
    if settings.search_ca_certs:
        kwargs["ca_certs"] = str(_readable(settings.search_ca_certs, "RECORDS_SEARCH_CA_CERTS"))
    return OpenSearch(**kwargs)


def parse_hosts(url: str) -> tuple[list[str], tuple[str, str] | None]:
    """Node URLs without their user info, and the user info of the first that has one."""
    hosts: list[str] = []
    auth: tuple[str, str] | None = None
    for part in filter(None, (p.strip() for p in url.split(","))):
        u = urlsplit(part)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ConfigError(f"RECORDS_SEARCH_URL: not an http(s) URL: {u.scheme}://…")
        if u.username and auth is None:
            auth = (unquote(u.username), unquote(u.password or ""))
        netloc = u.hostname if u.port is None else f"{u.hostname}:{u.port}"
        hosts.append(urlunsplit((u.scheme, netloc, u.path, "", "")))
    if not hosts:
        raise ConfigError("RECORDS_SEARCH_URL is empty")
    return hosts, auth


def credentials(settings: Settings, url_auth: tuple[str, str] | None) -> tuple[str, str] | None:
    """User and password: settings and the password file win over the URL."""
    user = settings.search_username or (url_auth[0] if url_auth else "")
    password = url_auth[1] if url_auth else ""
    if settings.search_password_file:
        path = _readable(settings.search_password_file, "RECORDS_SEARCH_PASSWORD_FILE")
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    if not user:
        if password and settings.search_password_file:
            raise ConfigError("RECORDS_SEARCH_PASSWORD_FILE is set but RECORDS_SEARCH_USERNAME "
                              "is not")
        return None
    if not password:
        raise ConfigError(f"no OpenSearch password for user {user!r}: set "
                          "RECORDS_SEARCH_PASSWORD_FILE")
    return user, password


def _readable(path: Path, setting: str) -> Path:
    path = path.expanduser()
    if not path.is_file():
        raise ConfigError(f"{setting}: no such file: {path}")
    return path


def index_settings(shards: int, replicas: int) -> dict[str, Any]:
    return {"number_of_shards": shards, "number_of_replicas": replicas, "analysis": ANALYSIS}


class IndexAdmin:
    """Template, timestamped indices and the alias in front of them."""

    def __init__(self, client: OpenSearch, alias: str, shards: int = 1, replicas: int = 1) -> None:
        self.client, self.alias = client, alias
        self.shards, self.replicas = shards, replicas

    @property
    def pattern(self) -> str:
        return f"{self.alias}-2*"  # timestamps start with the year

    def put_template(self) -> None:
        body = {
            "index_patterns": [self.pattern],
            "priority": 100,
            "template": {"settings": index_settings(self.shards, self.replicas),
                         "mappings": MAPPINGS},
            "_meta": {"schema_version": SCHEMA_VERSION, "managed_by": "tainan-records"},
        }
        self.client.indices.put_index_template(name=f"{self.alias}-template", body=body)

    def new_index_name(self) -> str:
        return f"{self.alias}-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}"

    def create_index(self, name: str, bulk_load: bool = False) -> None:
        """A new index from the template; tuned for a bulk load when asked."""
        self.put_template()
        settings: dict[str, Any] = {}
        if bulk_load:
            settings = {"refresh_interval": "-1", "number_of_replicas": 0}
        self.client.indices.create(index=name, body={"settings": settings})

    def finish_load(self, name: str) -> None:
        body = {"refresh_interval": None, "number_of_replicas": self.replicas}
        self.client.indices.put_settings(index=name, body={"index": body})
        self.client.indices.refresh(index=name)

    def current(self) -> list[str]:
        """The indices behind the alias (normally exactly one)."""
        found = self.client.indices.get_alias(name=self.alias, ignore=404)
        return [] if found.get("status") == 404 else sorted(found)

    def ensure(self) -> str:
        """The index behind the alias, created with the alias on first use."""
        current = self.current()
        if current:
            return current[0]
        if self.client.indices.exists(index=self.alias):
            raise ConfigError(f"{self.alias!r} is an index, not an alias: run `records reindex`")
        self.delete(self.leftovers())  # a first creation that the node's failure cut short
        name = self.new_index_name()
        self.create_index(name)
        self.client.indices.update_aliases(
            body={"actions": [{"add": {"index": name, "alias": self.alias,
                                       "is_write_index": True}}]})
        return name

    def swap(self, new: str) -> list[str]:
        """Point the alias at ``new`` alone, in one atomic call; returns the old indices."""
        old = self.current()
        actions: list[dict[str, Any]] = [
            {"add": {"index": new, "alias": self.alias, "is_write_index": True}}
        ]
        actions += [{"remove": {"index": name, "alias": self.alias}} for name in old]
        if self.client.indices.exists(index=self.alias) and not old:
            actions.append({"remove_index": {"index": self.alias}})
        self.client.indices.update_aliases(body={"actions": actions})
        return old

    def leftovers(self) -> list[str]:
        """Indices of the pattern that the alias does not point at (a reindex that died)."""
        found = self.client.indices.get(index=self.pattern, params={"ignore_unavailable": "true"})
        current = set(self.current())
        return sorted(name for name in found if name not in current)

    def delete(self, names: list[str]) -> None:
        for name in names:
            self.client.indices.delete(index=name, params={"ignore_unavailable": "true"})

    def schema_version(self) -> int | None:
        """The mapping version of the index behind the alias (None: no index)."""
        current = self.current()
        if not current:
            return None
        mapping = self.client.indices.get_mapping(index=current[0])[current[0]]["mappings"]
        return int(mapping.get("_meta", {}).get("schema_version", 0))
