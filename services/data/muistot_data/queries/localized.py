"""Localised `info` objects: the requested language's row with per-field fallback (docs/api.md, "Languages")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, null
from sqlalchemy.sql.selectable import Alias

from muistot_data.models import Info

FIELDS = ("lang", "name", "abstract", "description")


def info_aliases(table: Table) -> tuple[Alias, Alias]:
    """(requested-language row, default-language row) aliases of an information table."""
    return table.alias("req"), table.alias("dflt")


def requested_lang(lang_given: bool, default_column: Any) -> ColumnElement[Any]:
    """The `lang` parameter when the request names one; without, the project's default is the requested one."""
    return bindparam("lang") if lang_given else default_column


def join_condition(alias: Alias, key_column: str, owner_id: Any, lang: ColumnElement[Any] | Any) -> Any:
    return and_(alias.c[key_column] == owner_id, alias.c.lang == lang)


def info_columns(req: Alias | None, dflt: Alias) -> list[Any]:
    """The requested row's fields and the default row's; without a requested row (the request asks for the
    default language) its fields are NULL, so texts, often kilobytes long, are not fetched twice."""
    requested = [req.c[f].label(f"req_{f}") if req is not None else null().label(f"req_{f}") for f in FIELDS]
    return requested + [dflt.c[f].label(f"dflt_{f}") for f in FIELDS]


def build_info(row: Any, fallback_name: str) -> Info:
    """Each field from the requested row when it has one, else from the default-language row.

    `lang` says which row answered: the requested language if it has a row, else the default.
    """
    if row.req_lang is not None:
        return Info(lang=row.req_lang, name=row.req_name or row.dflt_name or fallback_name,
                    abstract=row.req_abstract if row.req_abstract is not None else row.dflt_abstract,
                    description=row.req_description if row.req_description is not None else row.dflt_description)
    return Info(lang=row.dflt_lang, name=row.dflt_name or fallback_name, abstract=row.dflt_abstract,
                description=row.dflt_description)
