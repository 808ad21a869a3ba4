"""user.locale, agency.default_locale: languages (issue 15) — the language a person chose in the
navigation bar, and the agency's default for people who chose none

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 05:30:00
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs, not batch copies: on SQLite a batch copy drops and re-creates the table,
    # and dropping agency or user with foreign keys on deletes every row that cascades from it.
    op.add_column('agency', sa.Column('default_locale', sa.String(length=8), server_default='en', nullable=False))
    op.add_column('user', sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column('user', 'locale')  # SQLite >= 3.35 drops a column in place
    op.drop_column('agency', 'default_locale')
