# Checks one VM's console log against the traffic gen.c made, mode by mode (modes: the file init reads).
#   awk -v kernel=NAME -f check.awk modes console.log
# Prints "PASS kernel mode" or "FAIL kernel mode: why" (then one line per wrong row), and last
# "counts PASSED FAILED SKIPPED". A mode passes when: the tool attached as the mode says, exited 0, printed
# the header, and printed exactly the expected rows: for every socket the generator opened (listener,
# accepted socket and client, IPv4 and IPv6, minus what -4/-6/-L/-D filter out) one SKADDR whose rows
# are that socket's full sequence of states with its addresses and ports, each with C-PID and MS; no
# other row; nothing on stderr but debug lines, and those say nothing was lost.
# With -v attach_types="kprobe ..." (attach-types), also "PASS kernel attach:TYPE", "FAIL ..." or "SKIP ..."
# per type (check_attach below); -v attach_skippable="fentry ..." names the types this kernel lacks.
BEGIN { FS = "|" }

FNR == NR {
    if ($0 ~ /^#/ || $0 == "") next
    nmodes++; order[nmodes] = $1; args[$1] = $3; base[$1] = $4; attach[$1] = $5
    next
}

{
    sub(/\r+$/, "")
    at = index($0, "KM|")
    if (at == 0) next
    line = substr($0, at)
    n = split(line, f, "|")
    m = f[2]; what = f[3]
    text = f[4]
    for (i = 5; i <= n; i++) text = text "|" f[i]
    if (m == "vm") { vm[what] = text; next }
    if (what == "begin") { begun[m] = 1 }
    else if (what == "end") { ended[m] = 1 }
    else if (what == "rc") { rc[m] = text }
    else if (what == "tracefs") { tracefs[m] = text }
    else if (what == "gen") { gen[m] = gen[m] text }
    else if (what == "gen-failed") { genfail[m] = text }
    else if (what == "out") { nout[m]++; out[m, nout[m]] = text }
    else if (what == "err") { nerr[m]++; err[m, nerr[m]] = text }
}

function fail(m, why) {
    if (!failed[m]) { failed[m] = 1; reason[m] = why } else { detail[m] = detail[m] "\n    " why }
}

function has(list, flag) { return (" " list " ") ~ (" " flag " ") }

# The rows one socket must show, as "LADDR LPORT RADDR RPORT OLD NEW" joined by ";".
function sequence(laddr, lport, raddr, rport, states,    k, s, parts, r) {
    k = split(states, parts, " ")
    r = ""
    for (s = 1; s < k; s++) r = r (r == "" ? "" : ";") laddr " " lport " " raddr " " rport " " parts[s] " " parts[s + 1]
    return r
}

function expect(m,    fam, a, any, s, c, nrole) {
    delete role
    nrole = 0
    for (fam = 4; fam <= 6; fam += 2) {
        if (has(args[m], "-4") && fam == 6) continue
        if (has(args[m], "-6") && fam == 4) continue
        a = fam == 4 ? "127.0.0.1" : "::1"
        any = fam == 4 ? "0.0.0.0" : "::"
        s = base[m] + (fam == 4 ? 1 : 3)
        c = base[m] + (fam == 4 ? 2 : 4)
        if (!has(args[m], "-D")) {
            role[++nrole] = "IPv" fam " listener|" sequence(a, s, any, 0, "CLOSE LISTEN CLOSE")
            # Its first row (the listener's clone) shows the peer on 6.18; 6.1 and 6.12 show the listener's
            # wildcard peer there (inet_csk_clone_lock sets the state before it copies the peer).
            role[++nrole] = "IPv" fam " accepted|" sequence(a, s, a, c, "LISTEN SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE") \
                "|" sequence(a, s, any, 0, "LISTEN SYN_RECV") ";" sequence(a, s, a, c, "SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE")
        }
        if (!has(args[m], "-L"))
            role[++nrole] = "IPv" fam " client|" sequence(a, c, a, s, "CLOSE SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 CLOSE")
    }
    return nrole
}

function squeeze(s) { gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }

function check(m,    csv, wide, T, t, header, want, i, k, x, p, arrow, sk, pid, ip, laddr, lport, raddr, rport, o, nw, ms,
               key, nsk, sks, nrole, r, alt, found, j, e, lostline) {
    if (!begun[m]) { fail(m, "the VM never ran this mode (boot or an earlier mode failed; see the console log)"); return }
    if (!ended[m]) { fail(m, "the VM stopped during this mode (see the console log)"); return }
    if (genfail[m] != "") fail(m, "the traffic generator failed: " gen[m])
    else if (gen[m] != "gen: done " base[m]) fail(m, "the traffic generator said: " gen[m])
    if (tracefs[m] != "0") fail(m, "tracefs was mounted before the tool started (" tracefs[m] " mounts): the VM must leave that to the tool")
    if (rc[m] != "0") fail(m, "tcpstates exited with " rc[m])

    # stderr: debug lines only; the attach line as the mode says; nothing lost.
    found = 0
    for (i = 1; i <= nerr[m]; i++) {
        e = err[m, i]
        if (e ~ /^tcpstates: debug: attached: /) {
            found = 1
            if (e != "tcpstates: debug: attached: " attach[m]) fail(m, "attached as \"" substr(e, 29) "\", expected \"" attach[m] "\"")
        } else if (e ~ /^tcpstates: debug: events lost: /) {
            lostline = e
            if (e !~ /: 0 found the ring full/ || e ~ /[1-9][0-9]* hits never reached/) fail(m, "stderr: " e)
            else if (match(e, /; [0-9]+ skipped by the kernel \(a recursion\), [0-9]+ of them caught/)) {
                split(substr(e, RSTART + 2, RLENGTH - 2), x, " ")
                if (x[1] != x[8]) fail(m, "stderr: " e)
            }
        } else if (e ~ /^tcpstates: debug: /) {
        } else fail(m, "stderr: " e)
    }
    if (!found) fail(m, "no \"attached:\" debug line on stderr")
    if (rc[m] == "0" && lostline == "") fail(m, "no \"events lost:\" debug line on stderr (did it drain and exit cleanly?)")

    csv = has(args[m], "-s"); wide = has(args[m], "-w"); T = has(args[m], "-T"); t = has(args[m], "-t")
    if (csv) {
        header = (T ? "TIME," : "") (t ? "TIME(s)," : "") "SKADDR,C-PID,C-COMM,IP,LADDR,LPORT,RADDR,RPORT,OLDSTATE,NEWSTATE,MS"
    } else {
        header = (T ? "TIME " : "") (t ? "TIME(s) " : "") "SKADDR C-PID C-COMM " (wide ? "IP " : "") "LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS"
    }
    if (nout[m] < 1) { fail(m, "no output at all (not even the header)"); return }
    if (squeeze(out[m, 1]) != header) fail(m, "header is \"" out[m, 1] "\", expected \"" header "\"")

    nsk = 0
    delete seqs
    for (i = 2; i <= nout[m]; i++) {
        row = out[m, i]
        if (csv) k = split(row, x, ",")
        else k = split(squeeze(row), x, " ")
        p = 1
        if (T) { if (x[p] !~ /^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]$/) { fail(m, "no TIME in row: " row); continue }; p++ }
        if (t) { if (x[p] !~ /^[0-9]+\.[0-9]+$/) { fail(m, "no TIME(s) in row: " row); continue }; p++ }
        sk = x[p]; pid = x[p + 1]
        if (csv) {
            if (k != p + 10) { fail(m, "wrong number of fields in row: " row); continue }
            ip = x[p + 3]; laddr = x[p + 4]; lport = x[p + 5]; raddr = x[p + 6]; rport = x[p + 7]; o = x[p + 8]; nw = x[p + 9]; ms = x[p + 10]
        } else {
            arrow = k - 2
            if (x[arrow] != "->" || k != p + (wide ? 11 : 10)) { fail(m, "wrong number of fields in row: " row); continue }
            ip = wide ? x[p + 3] : ""
            laddr = x[arrow - 5]; lport = x[arrow - 4]; raddr = x[arrow - 3]; rport = x[arrow - 2]; o = x[arrow - 1]; nw = x[arrow + 1]; ms = x[arrow + 2]
        }
        if (length(sk) != 16 || sk !~ /^[0-9a-f]+$/) { fail(m, "SKADDR is not 16 hex digits in row: " row); continue }
        if (pid !~ /^[0-9]+$/) { fail(m, "C-PID is not a number in row: " row); continue }
        if (ms !~ /^[0-9]+\.[0-9][0-9][0-9]$/) { fail(m, "MS missing or malformed in row: " row); continue }
        if ((csv || wide) && ip != (index(laddr, ":") ? "6" : "4")) { fail(m, "IP column does not match the address in row: " row); continue }
        key = laddr " " lport " " raddr " " rport " " o " " nw
        if (!(sk in seqs)) { sks[++nsk] = sk; seqs[sk] = key } else seqs[sk] = seqs[sk] ";" key
    }

    # Every expected socket: exactly one SKADDR showing its whole sequence; no other SKADDR.
    nrole = expect(m)
    if (nsk == 0 && nrole > 0) fail(m, "no rows at all, only the header")
    delete used
    for (r = 1; r <= nrole; r++) {
        k = split(role[r], alt, "|")   # the name, then the sequences that are right
        found = ""
        for (j = 1; j <= nsk && found == ""; j++)
            for (i = 2; i <= k; i++) if (!(sks[j] in used) && seqs[sks[j]] == alt[i]) { found = sks[j]; break }
        if (found != "") { used[found] = 1; continue }
        fail(m, alt[1] " socket: expected one SKADDR with rows [" alt[2] "]")
    }
    for (j = 1; j <= nsk; j++)
        if (!(sks[j] in used)) fail(m, "unexpected rows for SKADDR " sks[j] ": [" seqs[sks[j]] "]")
}

# attach-check's lines ("attach: PASS|FAIL|SKIP TYPE: text") for one attach type: its verdict in the
# triggered run (attach) and the untriggered one (attach-untriggered), as averdict/atext[run, type].
function attach_lines(run,    i, x, t) {
    for (i = 1; i <= nout[run]; i++) {
        if (match(out[run, i], /^attach: (PASS|FAIL|SKIP) [a-z_]+(: |$)/)) {
            split(out[run, i], x, " ")
            t = x[3]; sub(/:$/, "", t)
            if ((run, t) in averdict) { stray[run] = stray[run] " / twice: " out[run, i]; continue }
            averdict[run, t] = x[2]
            if (x[2] == "FAIL") anyfail[run] = 1
            atext[run, t] = substr(out[run, i], length("attach: " x[2] " " t) + 3)
        } else stray[run] = stray[run] " / " out[run, i]
    }
}

# An attach type passes when attach-check said PASS for it (it counted the calls it made), and under
# --no-trigger said "FAIL TYPE: no hits" (so the count comes from the calls); each run exited 1 exactly when
# it printed a FAIL. A SKIP fails too, unless the kernel is known to lack the hook (attach_skippable, from
# run's kernel list), and then --no-trigger must skip it as well. Sets afail[type] to why it fails.
function check_attach(t,    v, u) {
    if (!begun_attach) { afail[t] = "attach-check never ran (the VM stopped before it; see the console log)"; return }
    v = averdict["attach", t]; u = averdict["attach-untriggered", t]
    if (v == "") afail[t] = "attach-check printed no line for it (exit " rc["attach"] ")" stray["attach"]
    else if (v == "FAIL") afail[t] = atext["attach", t]
    else if (v == "SKIP" && !has(attach_skippable, t)) afail[t] = "skipped on a kernel that has the hook: " atext["attach", t]
    else if (rc["attach"] != (anyfail["attach"] ? "1" : "0")) afail[t] = "attach-check exited " rc["attach"] stray["attach"]
    else if (v == "SKIP" && u != "SKIP") afail[t] = "skipped, but attach-check --no-trigger said \"" u " " atext["attach-untriggered", t] "\""
    else if (v == "PASS" && (u != "FAIL" || atext["attach-untriggered", t] !~ /^no hits: /))
        afail[t] = "without calls, attach-check --no-trigger said \"" u " " atext["attach-untriggered", t] "\", expected FAIL for want of hits"
    else if (rc["attach-untriggered"] != (anyfail["attach-untriggered"] ? "1" : "0"))
        afail[t] = "attach-check --no-trigger exited " rc["attach-untriggered"] stray["attach-untriggered"]
}

END {
    passed = 0; failed_n = 0
    if (vm["uname"] != "") print "kernel " kernel ": " vm["uname"] (vm["tracefs"] != "" ? "; tracefs: " vm["tracefs"] : "")
    for (i = 1; i <= nmodes; i++) {
        m = order[i]
        check(m)
        if (failed[m]) { failed_n++; print "FAIL " kernel " " m ": " reason[m] detail[m] }
        else { passed++; print "PASS " kernel " " m }
    }
    if (attach_types != "") {
        begun_attach = ("attach" in rc) && ("attach-untriggered" in rc)
        attach_lines("attach"); attach_lines("attach-untriggered")
        n = split(attach_types, types, " ")
        for (i = 1; i <= n; i++) {
            check_attach(types[i])
            if (types[i] in afail) { failed_n++; print "FAIL " kernel " attach:" types[i] ": " afail[types[i]] }
            else if (averdict["attach", types[i]] == "SKIP") { skipped_n++; print "SKIP " kernel " attach:" types[i] ": " atext["attach", types[i]] }
            else { passed++; print "PASS " kernel " attach:" types[i] " (" atext["attach", types[i]] ")" }
        }
    }
    print "counts " passed " " failed_n " " skipped_n + 0
}
