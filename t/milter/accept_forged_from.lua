-- accept_forged_from: an accept on a sender matches the envelope sender
-- only, never the From: header anyone can write (issue 16, item 1).  A
-- forged partner From: with an executable is refused; the envelope
-- sender of the partner is accepted; block rules still see the header.
dofile(confdir .. "/tap.lua")

local function send(from, hdr_from, fname)
    local conn = session("public")
    local r = mail(conn, from)
    if r ~= SMFIR_CONTINUE then mt.disconnect(conn); return r, "mail" end
    r = rcpt(conn, "<victim@example.com>")
    if r ~= SMFIR_CONTINUE then mt.disconnect(conn); return r, "rcpt" end
    local h = mime_headers("invoice")
    h[1] = {"From", hdr_from}
    r = headers(conn, h)
    if r == SMFIR_CONTINUE then r = body(conn, mime_body(fname or "invoice.exe")) end
    if r == SMFIR_CONTINUE or r == SMFIR_SKIP then r = eom(conn) end
    mt.disconnect(conn)
    return r
end

is(rname(send("<mallory@evil.example>", "Mallory <mallory@trusted-partner.example>")),
   "replycode", "forged partner From: with an .exe is refused")
ok(log_wait("rule=executables"), "refused by the executables rule")
is(rname(send("<mallory@evil.example>",
              "a@evil.example, Partner <b@trusted-partner.example>")),
   "replycode", "a partner address second in From: changes nothing")
is(rname(send("<mallory@evil.example>", "mallory@evil.example")),
   "replycode", "control: an honest From: is refused alike")

-- The partner's own envelope sender is accepted, .exe and all.
local r = send("<sales@trusted-partner.example>", "sales@trusted-partner.example")
ok(r == SMFIR_ACCEPT or r == SMFIR_CONTINUE, "envelope sender of the partner: accepted (" .. rname(r) .. ")")
ok(log_wait("action=accept rule=partner-allowlist"), "accept logged with its rule")

-- Header addresses stay available to rules that block.
is(rname(send("<alice@sender.example>", "Spoof <ceo@bad.example>", "notes.txt")),
   "replycode", "a block rule still matches the From: header")
ok(log_wait("rule=blocked-from"), "refused by the header block rule")
