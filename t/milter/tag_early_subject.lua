-- tag_early_subject: a tag decided before Subject: is read (a recipient
-- rule, with a redirect decided at RCPT after it) prefixes the real
-- Subject, never adds a second Subject: (issue 16, item 3).
dofile(confdir .. "/tap.lua")

local conn = session("public")
mail(conn, "<alice@sender.example>", "TAGEARLY")
rcpt(conn, "<bob@example.com>", "TAGEARLY")      -- tag-external fires
rcpt(conn, "<legal@example.com>", "TAGEARLY")    -- redirect-legal: final
local r = headers(conn, {{"From", "alice@sender.example"}, {"To", "bob@example.com"},
                         {"Subject", "quarterly numbers"}})
if r == SMFIR_CONTINUE then r = body(conn, "hello\r\n") end
if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
is(rname(r), "continue", "redirected")
ok(mt.eom_check(conn, MT_HDRCHANGE, "Subject", "[EXT] quarterly numbers"),
   "the real Subject is prefixed")
ok(not mt.eom_check(conn, MT_HDRADD, "Subject"), "no second Subject: added")
ok(mt.eom_check(conn, MT_RCPTADD, "<review@example.com>"), "the redirect is carried out")
mt.disconnect(conn)

-- Accept decided at MAIL (trusted sender) after nothing: no tag at all.
conn = session("public")
mail(conn, "<boss@trusted.example>", "TAGEARLY2")
rcpt(conn, "<bob@example.com>", "TAGEARLY2")
r = headers(conn, {{"From", "boss@trusted.example"}, {"Subject", "hi"}})
ok(r == SMFIR_ACCEPT, "trusted sender: accepted at end of header (" .. rname(r) .. ")")
mt.disconnect(conn)
