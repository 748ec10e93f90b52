"""Abstracts and stories fit 20 000 four-byte characters (MEDIUMTEXT on MariaDB/MySQL).

A TEXT column holds 65 535 bytes; the contract allows 20 000 characters, which in utf8mb4 can take
80 000 bytes, so a long story of emoji failed with a database error (docs/contract.md, "Recommended behaviours built"). SQLite's
TEXT has no such limit, so nothing changes there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [('project_information', 'abstract'), ('site_information', 'abstract'), ('memories', 'story')]


def upgrade() -> None:
    if op.get_bind().dialect.name != 'mysql':
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, existing_type=sa.Text(), type_=mysql.MEDIUMTEXT(), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'mysql':
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, existing_type=mysql.MEDIUMTEXT(), type_=sa.Text(), existing_nullable=True)
