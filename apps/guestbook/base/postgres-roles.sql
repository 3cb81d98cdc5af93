-- The guestbook's roles in PostgreSQL, least privilege. The postStart hook of the PostgreSQL
-- container (postgres.yaml) runs this file with psql on every start of the container, as the
-- superuser over the pod's Unix socket (so the superuser's password never leaves the pod),
-- connected to the guestbook's database (POSTGRES_DB), with the passwords in the psql variables
-- superuser_password, owner_password, web_password and backup_password.
--
-- It can run again and again: a role is created when missing, and everything else (attributes,
-- passwords, owners, grants) is set to what this file says on each start. That also takes over a
-- database created before these roles existed, whose objects belong to the superuser. It is one
-- transaction: an error (psql stops at the first, ON_ERROR_STOP) leaves nothing half done.
--
--   postgres          the superuser (POSTGRES_USER): PostgreSQL itself and this file, nothing
--                     else. The image sets its password on the first start only; this file
--                     sets it on every start, so that a new one reaches it like the others.
--   guestbook_owner   owns the database, its schema public and every table and sequence in it:
--                     the migration Job and restores.
--   guestbook_web     the web pods: reads and writes rows, creates nothing, runs no program.
--   guestbook_backup  pg_dump: reads everything (pg_read_all_data), writes nothing.
--
-- Passwords come in psql variables (never in this file): :'name' quotes them as SQL literals on
-- the client side. No DO block: PL/pgSQL would not see psql variables, and a password pasted into
-- a DO body by string interpolation is one quote away from SQL injection. \gexec runs the
-- statements a query returns instead (CREATE ROLE has no IF NOT EXISTS).
--
-- Rotating a password: seal a new value (nox -s seal -- ENV guestbook-postgres KEY --generate
-- password), merge, then restart PostgreSQL and, after it, the pods that use the role
-- (services/guestbook/README.md, "Roles in PostgreSQL").

\set QUIET on
-- A failed statement must not show its text (which may hold a password) in psql's error, which
-- the kubelet puts in the FailedPostStartHook event, nor in the server's log.
\set VERBOSITY terse
SET log_min_error_statement = panic;
BEGIN;

-- 1. Roles. Attributes are repeated on every start so that a role changed by hand is put back.
SELECT format('CREATE ROLE %I', role)
  FROM unnest(ARRAY['guestbook_owner', 'guestbook_web', 'guestbook_backup']) AS role
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = role)
\gexec

ALTER ROLE CURRENT_USER WITH PASSWORD :'superuser_password';
ALTER ROLE guestbook_owner WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS PASSWORD :'owner_password';
ALTER ROLE guestbook_web WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS PASSWORD :'web_password';
ALTER ROLE guestbook_backup WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
  NOBYPASSRLS PASSWORD :'backup_password';

-- SELECT on every table, view and sequence and USAGE on every schema, present and future, and
-- nothing else: enough for pg_dump (which only reads). The membership needs INHERIT (above).
GRANT pg_read_all_data TO guestbook_backup;

-- 2. Ownership. The database first: since PostgreSQL 15 its owner owns schema public too, through
-- pg_database_owner (set again here in case the schema was given away).
ALTER DATABASE :"DBNAME" OWNER TO guestbook_owner;
ALTER SCHEMA public OWNER TO pg_database_owner;

-- Every table, view and sequence of schema public that someone else owns (the superuser, in a
-- database migrated before these roles existed). A sequence that belongs to a column (serial,
-- identity) follows its table and cannot be given away on its own; indexes follow their tables.
SELECT format(
         'ALTER %s %I.%I OWNER TO guestbook_owner',
         CASE c.relkind
           WHEN 'S' THEN 'SEQUENCE'
           WHEN 'v' THEN 'VIEW'
           WHEN 'm' THEN 'MATERIALIZED VIEW'
           WHEN 'f' THEN 'FOREIGN TABLE'
           ELSE 'TABLE'
         END,
         n.nspname,
         c.relname)
  FROM pg_catalog.pg_class AS c
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND c.relowner <> 'guestbook_owner'::regrole
   AND NOT EXISTS (
         SELECT FROM pg_catalog.pg_depend AS d
          WHERE d.classid = 'pg_catalog.pg_class'::regclass
            AND d.objid = c.oid
            AND d.refclassid = 'pg_catalog.pg_class'::regclass
            AND d.deptype IN ('a', 'i'))
 ORDER BY c.relkind = 'S', c.relname
\gexec

-- 3. What everyone else may do: nothing. PUBLIC loses CONNECT, TEMPORARY and CREATE on this
-- database (the web and backup roles get CONNECT back below), and TEMPORARY and CREATE on every
-- other one (they may still connect to an empty `postgres`, as tools do, but create nothing
-- there: PostgreSQL 15+ gives PUBLIC no CREATE on a public schema). Schema public: no CREATE
-- (the default since 15; a database restored from an older dump may still grant it) and no USAGE.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
SELECT format('REVOKE TEMPORARY, CREATE ON DATABASE %I FROM PUBLIC', datname)
  FROM pg_catalog.pg_database
 WHERE datname <> current_database()
\gexec
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- 4. The web role: rows only, in the tables that exist now and in those the owner creates later
-- (migrations). No CREATE on the database or the schema, no TEMPORARY.
GRANT CONNECT ON DATABASE :"DBNAME" TO guestbook_web;
GRANT USAGE ON SCHEMA public TO guestbook_web;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO guestbook_web;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO guestbook_web;
ALTER DEFAULT PRIVILEGES FOR ROLE guestbook_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO guestbook_web;
ALTER DEFAULT PRIVILEGES FOR ROLE guestbook_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO guestbook_web;

-- 5. The backup role: CONNECT, which PUBLIC no longer has; pg_read_all_data does the rest.
GRANT CONNECT ON DATABASE :"DBNAME" TO guestbook_backup;

COMMIT;
