-- tap.lua - TAP output and session helpers for the miltertest scripts.
--
-- Loaded by every t/milter/*.lua with dofile(confdir .. "/tap.lua").
-- miltertest.sh defines the globals socket, logfile, pid, confdir,
-- tmpdir and conffile.

function ok(cond, desc)
    if cond then
        mt.echo("ok - " .. desc)
    else
        mt.echo("not ok - " .. desc)
    end
    return cond
end

function is(got, want, desc)
    local r = ok(got == want, desc)
    if not r then
        mt.echo("#   got:  " .. tostring(got))
        mt.echo("#   want: " .. tostring(want))
    end
    return r
end

-- Reply constants by name, for diagnostics.
local names = {}
names[SMFIR_CONTINUE] = "continue"; names[SMFIR_ACCEPT] = "accept"
names[SMFIR_REJECT] = "reject"; names[SMFIR_TEMPFAIL] = "tempfail"
names[SMFIR_DISCARD] = "discard"; names[SMFIR_REPLYCODE] = "replycode"
if SMFIR_SKIP ~= nil then names[SMFIR_SKIP] = "skip" end
function rname(r) return names[r] or tostring(r) end

function reply_is(conn, want, desc)
    return is(rname(mt.getreply(conn)), rname(want), desc)
end

-- Open a session as Postfix would: macros, connect, HELO.
function session(daemon, ip, helo)
    local conn = mt.connect(socket, 40, 0.05)
    if conn == nil then error("cannot connect to " .. socket) end
    mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon or "public",
             "{client_addr}", ip or "192.0.2.10", "j", "gw.example.com")
    if mt.conninfo(conn, "client.example", ip or "192.0.2.10") ~= nil then
        error("mt.conninfo failed")
    end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect refused") end
    if mt.helo(conn, helo or "client.example") ~= nil then
        error("mt.helo failed")
    end
    return conn
end

-- MAIL FROM with the MAIL-stage macros; returns the reply.
function mail(conn, from, qid, auth)
    mt.macro(conn, SMFIC_MAIL, "i", qid or "", "{auth_authen}", auth or "")
    if mt.mailfrom(conn, from) ~= nil then error("mt.mailfrom failed") end
    return mt.getreply(conn)
end

function rcpt(conn, to, qid)
    mt.macro(conn, SMFIC_RCPT, "i", qid or "")
    if mt.rcptto(conn, to) ~= nil then error("mt.rcptto failed") end
    return mt.getreply(conn)
end

-- Headers from a list of {name, value}; stops at the first non-continue.
function headers(conn, list)
    for _, h in ipairs(list) do
        if mt.header(conn, h[1], h[2]) ~= nil then error("mt.header failed") end
        local r = mt.getreply(conn)
        if r ~= SMFIR_CONTINUE then return r end
    end
    if mt.eoh(conn) ~= nil then error("mt.eoh failed") end
    return mt.getreply(conn)
end

function body(conn, text)
    if mt.bodystring(conn, text) ~= nil then error("mt.bodystring failed") end
    return mt.getreply(conn)
end

function eom(conn)
    if mt.eom(conn) ~= nil then error("mt.eom failed") end
    return mt.getreply(conn)
end

-- A whole plain message: envelope, headers, body, end of message.
-- Returns the first reply that is not "continue" and the stage name.
function message(conn, m)
    local r = mail(conn, m.from or "<alice@sender.example>", m.qid, m.auth)
    if r ~= SMFIR_CONTINUE then return r, "mail" end
    for _, to in ipairs(m.rcpts or {"<bob@example.com>"}) do
        r = rcpt(conn, to, m.qid)
        if r ~= SMFIR_CONTINUE then return r, "rcpt" end
    end
    r = headers(conn, m.headers or {{"From", "alice@sender.example"},
                                    {"To", "bob@example.com"},
                                    {"Subject", m.subject or "hello"}})
    if r ~= SMFIR_CONTINUE then return r, "header" end
    for _, chunk in ipairs(m.body or {"hello\r\n"}) do
        r = body(conn, chunk)
        -- skip: the milter needs no more body, end of message follows
        if r == SMFIR_SKIP then break end
        if r ~= SMFIR_CONTINUE then return r, "body" end
    end
    return eom(conn), "eom"
end

-- A MIME message with one text part and one attachment named fname.
function mime_body(fname, payload)
    return "--XYZ\r\n" ..
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n" ..
        "See the attachment.\r\n" ..
        "--XYZ\r\n" ..
        "Content-Type: application/octet-stream; name=\"" .. fname .. "\"\r\n" ..
        "Content-Disposition: attachment; filename=\"" .. fname .. "\"\r\n" ..
        "Content-Transfer-Encoding: base64\r\n\r\n" ..
        (payload or "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n") ..
        "--XYZ--\r\n"
end

function mime_headers(subject)
    return {{"From", "alice@sender.example"}, {"To", "bob@example.com"},
            {"Subject", subject or "files"}, {"MIME-Version", "1.0"},
            {"Content-Type", "multipart/mixed; boundary=\"XYZ\""}}
end

-- The screener's log so far.
function log_text()
    local f = io.open(logfile, "r")
    if f == nil then return "" end
    local t = f:read("*a")
    f:close()
    return t
end

-- Wait (up to ~5 s) for a plain-text pattern to appear in the log.
function log_wait(pattern)
    for _ = 1, 100 do
        if string.find(log_text(), pattern, 1, true) then return true end
        mt.sleep(0.05)
    end
    return false
end
