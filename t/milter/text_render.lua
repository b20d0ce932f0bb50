-- text_render: what the reader sees, through the milter (issue 10):
-- HTML keywords cut inside entities and tags across body chunks, an
-- invisible character in the Subject, Unicode spaces, fullwidth letters,
-- a confusable, a link target, card numbers (masked in the log), IBANs
-- counted with min_matches, and an attachment name.
dofile(confdir .. "/tap.lua")

local function hdrs(ctype, subject)
    return {{"From", "alice@sender.example"}, {"To", "bob@example.com"},
            {"Subject", subject or "hello"}, {"MIME-Version", "1.0"},
            {"Content-Type", ctype or "text/plain; charset=utf-8"}}
end
local HTML = "text/html; charset=utf-8"

local function run(daemon, qid, h, chunks)
    local conn = session(daemon)
    local r, stage = message(conn, {qid = qid, headers = h, body = chunks})
    mt.disconnect(conn)
    return r, stage
end

local function refused(r)
    return r == SMFIR_REJECT or r == SMFIR_REPLYCODE
end

-- "Merger&nbsp;<b>Plan</b>" cut inside the entity and inside the tag.
local r = run("public", "TXT01", hdrs(HTML), {"<p>Mer", "ger&nb", "sp;<", "b>Pl", "an</b></p>\r\n"})
ok(refused(r), "HTML cut inside an entity and a tag: rejected (" .. rname(r) .. ")")
ok(log_wait("TXT01") and string.find(log_text(), "rule=merger", 1, true), "by rule merger")
r = run("public", "TXT02", hdrs(HTML), {"mer<!-", "- x --", ">ger &#1", "12;l&#x6", "1;n\r\n"})
ok(refused(r), "comment and references cut across chunks: rejected (" .. rname(r) .. ")")
r = run("public", "TXT03", hdrs(HTML), {"<style>merger plan</style><script>merger plan</script>ok\r\n"})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "style and script content dropped (" .. rname(r) .. ")")
-- Invisible characters: Subject (RFC 2047) and body.
r = run("public", "TXT04", hdrs(nil, "=?utf-8?B?" .. "TWVy4oCLZ2VywqBwbGFu" .. "?="), {"ok\r\n"})
ok(refused(r), "zero-width space and no-break space in the Subject: rejected (" .. rname(r) .. ")")
r = run("public", "TXT05", hdrs(), {"mer\xc2\xadger\xe2\x80", "\x83plan\r\n"})
ok(refused(r), "soft hyphen and an em space cut across chunks: rejected (" .. rname(r) .. ")")
r = run("public", "TXT06", hdrs(), {"\xef\xbd\x8d\xef\xbd\x85\xef\xbd\x92\xef\xbd", "\x87\xef\xbd\x85\xef\xbd\x92 PLAN\r\n"})
ok(refused(r), "fullwidth letters cut inside a character: rejected (" .. rname(r) .. ")")
-- Confusables and link targets.
r = run("public", "TXT07", hdrs(), {"S\xd0\xb5cret d\xd0\xb5al\r\n"})
is(rname(r), "discard", "Cyrillic e in secret deal: discarded (confusables)")
ok(log_wait("TXT07") and string.find(log_text(), 'match="confusable secret deal"', 1, true), "logged as a confusable")
r = run("public", "TXT08", hdrs(HTML), {"<a hr", "ef=\"https://evil.exa", "mple.net/x\">click</a>\r\n"})
is(rname(r), "discard", "href target matched as text")
-- Detectors, outbound: masked in the log, never in full.
r = run("submission", "TXT09", hdrs(HTML), {"card <td>4111</td><td>11", "11</td> 1111\r\n1111 ok\r\n"})
ok(r == SMFIR_TEMPFAIL or r == SMFIR_REPLYCODE, "card number split by cells and a line break: tempfail (" .. rname(r) .. ")")
ok(log_wait("TXT09") and string.find(log_text(), 'match="card ****1111"', 1, true), "logged masked")
ok(not string.find(log_text(), "4111 1111", 1, true) and not string.find(log_text(), "41111111", 1, true),
   "the number is not in the log")
r = run("submission", "TXT10", hdrs(), {"card 4111 1111 1111 1112\r\n"})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "Luhn fails: passes (" .. rname(r) .. ")")
r = run("public", "TXT11", hdrs(), {"card 4111 1111 1111 1111\r\n"})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "inbound: the outbound rule does not apply (" .. rname(r) .. ")")
r = run("submission", "TXT12", hdrs(), {"DE89 3704 0044 0532 0130 00 and DE89370400440532013000\r\n"})
ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "one IBAN twice: below min_matches 2 (" .. rname(r) .. ")")
r = run("submission", "TXT13", hdrs(), {"DE89 3704 0044 0532 0130 00 and GB82 WE", "ST 1234 5698 7654 32\r\n"})
ok(refused(r), "two IBANs: rejected (" .. rname(r) .. ")")
ok(log_wait("TXT13") and string.find(log_text(), 'match="iban GB****5432 (2 numbers)"', 1, true), "IBAN logged masked")
-- File names.
local conn = session("public")
r = message(conn, {qid = "TXT14", headers = mime_headers(), body = {mime_body("Q3-Payroll.xlsx", "aGVsbG8=\r\n")}})
ok(refused(r), "attachment name matched in = filenames (" .. rname(r) .. ")")
mt.disconnect(conn)
