-- keel: non-breaking
-- json_valid(text), as SQLite has it: 1 when the text is JSON, 0 when not, NULL for NULL. List
-- pages use it to shorten a big error without failing on one that is not JSON, and the integrity
-- check to find values a listing cannot show. PostgreSQL 16's IS JSON would do, but 15 is kept.
CREATE FUNCTION json_valid(value text) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF value IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM value::json;
  RETURN 1;
EXCEPTION WHEN others THEN
  RETURN 0;
END
$$;
