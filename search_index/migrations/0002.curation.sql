-- The editors' live curation: every state it has had, one row each (the newest is served); an undo
-- writes an earlier state again. `state` is JSON: best bets, hidden pages and sections, synonym groups.
-- depends: 0001.usage-log
CREATE TABLE curation (
    revision INTEGER PRIMARY KEY,
    at DOUBLE PRECISION NOT NULL,
    editor TEXT NOT NULL,
    action TEXT NOT NULL,
    state TEXT NOT NULL
);
