"""agency_branding: the agency's display name, logo, primary colour, e-mail sender name and
footer line (one row per agency, made on the first change)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 17:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agency_branding',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('primary_color', sa.String(length=7), nullable=False),
    sa.Column('email_sender_name', sa.String(length=100), nullable=False),
    sa.Column('footer', sa.String(length=200), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=40), nullable=False),
    sa.Column('logo_sha256', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_branding_agency_id_agency'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_branding')),
    sa.UniqueConstraint('agency_id', name=op.f('uq_agency_branding_agency_id'))
    )


def downgrade():
    op.drop_table('agency_branding')
