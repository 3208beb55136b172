"""files: stored_file holds uploaded bytes in the database; attachments point at it

Existing attachments are moved from the upload folder (UPLOAD_FOLDER, default instance/uploads)
into stored_file. An attachment whose file is missing on disk could not be downloaded before
either; its row is dropped and named in the log.

Revision ID: files_0001
Revises: demands_import_0001
"""
import hashlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = 'files_0001'
down_revision = 'demands_import_0001'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.files_0001")


def _upload_folder() -> Path:
    try:
        from flask import current_app
        return Path(current_app.config["UPLOAD_FOLDER"])
    except (RuntimeError, KeyError):  # outside an app context
        return Path(os.environ.get("UPLOAD_FOLDER") or Path(os.environ.get("INSTANCE_PATH") or "instance") / "uploads")


stored_file = sa.table(
    "stored_file", sa.column("id", sa.Integer), sa.column("name", sa.String), sa.column("content_type", sa.String),
    sa.column("size_bytes", sa.Integer), sa.column("sha256", sa.String), sa.column("data", sa.LargeBinary),
    sa.column("owner_user_id", sa.Integer), sa.column("owner_org_id", sa.Integer), sa.column("created_at", sa.DateTime),
)


def upgrade():
    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('owner_org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_stored_file_size_nonneg')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_stored_file_owner_org_id_organisation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['user_account.id'], name=op.f('fk_stored_file_owner_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_file_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_sha256'), ['sha256'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))

    _move_files_into_the_database()

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.alter_column('file_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_attachment_stored_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_attachment_file_id'), ['file_id'])
        batch_op.create_foreign_key(batch_op.f('fk_attachment_file_id_stored_file'), 'stored_file', ['file_id'], ['id'])
        batch_op.drop_column('content_type')
        batch_op.drop_column('stored_name')
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('sha256')


def _move_files_into_the_database():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT a.id, a.original_name, a.stored_name, a.content_type, a.uploaded_at, p.provider_org_id "
        "FROM attachment a JOIN pool_application p ON p.id = a.application_id").columns(
        sa.column("id", sa.Integer), sa.column("original_name", sa.String), sa.column("stored_name", sa.String),
        sa.column("content_type", sa.String), sa.column("uploaded_at", sa.DateTime), sa.column("provider_org_id", sa.Integer),
    )).all()
    folder = _upload_folder()
    for attachment_id, original_name, stored_name, content_type, uploaded_at, org_id in rows:
        path = folder / stored_name
        if not path.is_file():
            log.warning("attachment %s (%s): %s is missing; the row is dropped", attachment_id, original_name, path)
            bind.execute(sa.text("DELETE FROM attachment WHERE id = :id"), {"id": attachment_id})
            continue
        data = path.read_bytes()
        file_id = bind.execute(stored_file.insert().values(
            name=original_name, content_type=content_type or "application/pdf", size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(), data=data, owner_user_id=None, owner_org_id=org_id,
            created_at=uploaded_at).returning(stored_file.c.id)).scalar_one()
        bind.execute(sa.text("UPDATE attachment SET file_id = :f WHERE id = :id"), {"f": file_id, "id": attachment_id})
    if rows:
        log.info("moved %d attachment files from %s into the database (the folder is left as it was)", len(rows), folder)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sha256', sa.VARCHAR(length=64), nullable=True))
        batch_op.add_column(sa.Column('size_bytes', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('stored_name', sa.VARCHAR(length=64), nullable=True))
        batch_op.add_column(sa.Column('content_type', sa.VARCHAR(length=80), nullable=True))

    bind = op.get_bind()
    folder = _upload_folder()
    rows = bind.execute(sa.text(
        "SELECT a.id, f.id, f.content_type, f.size_bytes, f.sha256, f.data FROM attachment a "
        "JOIN stored_file f ON f.id = a.file_id")).all()
    if rows:
        folder.mkdir(parents=True, exist_ok=True)
    for attachment_id, file_id, content_type, size, sha, data in rows:
        name = f"{sha[:16]}{file_id:08d}.pdf"
        (folder / name).write_bytes(data)
        bind.execute(sa.text("UPDATE attachment SET stored_name = :n, content_type = :c, size_bytes = :s, sha256 = :h "
                             "WHERE id = :id"), {"n": name, "c": content_type, "s": size, "h": sha, "id": attachment_id})

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        for column, kind in (("sha256", sa.VARCHAR(length=64)), ("size_bytes", sa.INTEGER()),
                             ("stored_name", sa.VARCHAR(length=64)), ("content_type", sa.VARCHAR(length=80))):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_attachment_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_attachment_file_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_attachment_stored_name'), ['stored_name'])
        batch_op.drop_column('file_id')

    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_sha256'))
        batch_op.drop_index(batch_op.f('ix_stored_file_owner_org_id'))

    op.drop_table('stored_file')
