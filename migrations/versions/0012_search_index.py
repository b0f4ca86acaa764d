"""queue search: an index of each correction's text, kept in step by triggers

One row per correction holding its quote, suggestion, address, title and its readers'
comments, folded for search (any case; «ё» as «е»):

- SQLite: an FTS5 table with the trigram tokenizer (case-insensitive, finds inside words),
  rowid = the correction's id;
- PostgreSQL: a table with a pg_trgm GIN index over the folded text (``LIKE '%…%'`` uses it).

Triggers on ``corrections`` and ``reports`` rewrite a correction's row whenever one of those
texts changes, so every writer (ingest, the queue, a purge, a script) keeps it current.
See service/queue/search.py for the queries. On SQLite, a later migration that rebuilds
``corrections`` or ``reports`` (Alembic's batch mode) drops these triggers with the old table
and must create them again; tests/test_search.py fails if it does not.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 04:00:00
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_UPPER = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё"
_LOWER = "абвгдеежзийклмнопрстуфхцчшщъыьэюяе"

# -- SQLite -----------------------------------------------------------------------------------

_SQLITE_BODY = """
    SELECT c.id, replace(replace(
        c.exact || ' ' || c.suggestion || ' ' || c.url || ' ' || c.title || ' ' ||
        coalesce((SELECT group_concat(r.comment, ' ') FROM reports r
                  WHERE r.correction_id = c.id AND r.comment <> ''), ''),
        'ё', 'е'), 'Ё', 'Е')
    FROM corrections c WHERE c.id = {id}
"""


def _sqlite_refresh(id_expr: str) -> str:
    return (f"DELETE FROM correction_search WHERE rowid = {id_expr};\n"
            f"INSERT INTO correction_search(rowid, body) {_SQLITE_BODY.format(id=id_expr)};")


_SQLITE = [
    "CREATE VIRTUAL TABLE correction_search USING fts5(body, "
    "tokenize = 'trigram case_sensitive 0')",
    f"""CREATE TRIGGER correction_search_ins AFTER INSERT ON corrections BEGIN
        {_sqlite_refresh("NEW.id")}
    END""",
    f"""CREATE TRIGGER correction_search_upd AFTER UPDATE OF exact, suggestion, url, title
        ON corrections BEGIN
        {_sqlite_refresh("NEW.id")}
    END""",
    """CREATE TRIGGER correction_search_del AFTER DELETE ON corrections BEGIN
        DELETE FROM correction_search WHERE rowid = OLD.id;
    END""",
    f"""CREATE TRIGGER correction_search_report_ins AFTER INSERT ON reports
        WHEN NEW.comment <> '' BEGIN
        {_sqlite_refresh("NEW.correction_id")}
    END""",
    f"""CREATE TRIGGER correction_search_report_upd AFTER UPDATE OF comment, correction_id
        ON reports BEGIN
        {_sqlite_refresh("OLD.correction_id")}
        {_sqlite_refresh("NEW.correction_id")}
    END""",
    f"""CREATE TRIGGER correction_search_report_del AFTER DELETE ON reports
        WHEN OLD.comment <> '' BEGIN
        {_sqlite_refresh("OLD.correction_id")}
    END""",
    # Corrections stored before this migration.
    f"INSERT INTO correction_search(rowid, body) {_SQLITE_BODY.format(id='c.id')}",
]

# -- PostgreSQL -------------------------------------------------------------------------------

_PG = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # lower() plus an explicit Cyrillic map: the same fold whatever the database's locale.
    f"""CREATE FUNCTION errata_search_fold(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT lower(translate($1, '{_UPPER}', '{_LOWER}')) $$""",
    """CREATE TABLE correction_search (
        correction_id integer PRIMARY KEY REFERENCES corrections(id) ON DELETE CASCADE,
        body text NOT NULL
    )""",
    "CREATE INDEX ix_correction_search_body ON correction_search "
    "USING gin (body gin_trgm_ops)",
    """CREATE FUNCTION errata_search_refresh(cid integer) RETURNS void LANGUAGE sql AS $$
        INSERT INTO correction_search (correction_id, body)
        SELECT c.id, errata_search_fold(concat_ws(' ', c.exact, c.suggestion, c.url, c.title,
            (SELECT string_agg(r.comment, ' ' ORDER BY r.id) FROM reports r
             WHERE r.correction_id = c.id AND r.comment <> '')))
        FROM corrections c WHERE c.id = cid
        ON CONFLICT (correction_id) DO UPDATE SET body = EXCLUDED.body
    $$""",
    """CREATE FUNCTION errata_search_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'corrections' THEN
            PERFORM errata_search_refresh(NEW.id);
        ELSE
            IF TG_OP IN ('UPDATE', 'DELETE') THEN
                PERFORM errata_search_refresh(OLD.correction_id);
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT'
                    OR NEW.correction_id IS DISTINCT FROM OLD.correction_id) THEN
                PERFORM errata_search_refresh(NEW.correction_id);
            END IF;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER correction_search_ins AFTER INSERT ON corrections
        FOR EACH ROW EXECUTE FUNCTION errata_search_trigger()""",
    """CREATE TRIGGER correction_search_upd AFTER UPDATE OF exact, suggestion, url, title
        ON corrections FOR EACH ROW EXECUTE FUNCTION errata_search_trigger()""",
    """CREATE TRIGGER correction_search_report_ins AFTER INSERT ON reports
        FOR EACH ROW WHEN (NEW.comment <> '') EXECUTE FUNCTION errata_search_trigger()""",
    """CREATE TRIGGER correction_search_report_upd AFTER UPDATE OF comment, correction_id
        ON reports FOR EACH ROW EXECUTE FUNCTION errata_search_trigger()""",
    """CREATE TRIGGER correction_search_report_del AFTER DELETE ON reports
        FOR EACH ROW WHEN (OLD.comment <> '') EXECUTE FUNCTION errata_search_trigger()""",
    "SELECT errata_search_refresh(id) FROM corrections",
]


def upgrade() -> None:
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in [("correction_search_ins", "corrections"),
                               ("correction_search_upd", "corrections"),
                               ("correction_search_report_ins", "reports"),
                               ("correction_search_report_upd", "reports"),
                               ("correction_search_report_del", "reports")]:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute("DROP TABLE IF EXISTS correction_search")
        op.execute("DROP FUNCTION IF EXISTS errata_search_trigger()")
        op.execute("DROP FUNCTION IF EXISTS errata_search_refresh(integer)")
        op.execute("DROP FUNCTION IF EXISTS errata_search_fold(text)")
        return
    for trigger in ("correction_search_ins", "correction_search_upd", "correction_search_del",
                    "correction_search_report_ins", "correction_search_report_upd",
                    "correction_search_report_del"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS correction_search")
