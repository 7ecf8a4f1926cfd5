"""Bounded path and query parameters: an id, offset or page number out of range is a 400
(a 404 for a well-formed id that does not exist), never an overflow inside the database."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from pipeline.db.models import MAX_INT

#: OpenSearch's default ``index.max_result_window`` is 10,000 hits (offset + limit)
MAX_OFFSET = 9900
MAX_LIMIT = 100

Id = Annotated[int, Path(ge=1, le=MAX_INT)]
PageNo = Annotated[int, Query(ge=1, le=MAX_INT)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_INT)]
