# seeds.sh - sourced by run-fuzzers and bench/run-fuzz-long: lay out a
# seed directory per fuzz target under $work.
#
#   fuzz_seed_dirs SRCDIR WORK TARGET...
#
# Each target gets WORK/TARGET/ filled from t/fuzz/seeds/TARGET/ (the
# minimised corpus kept in the repository) plus seeds made here from the
# test messages, the example configs and sample policy requests.  A
# target's dictionary, if any, is t/fuzz/dict/TARGET.dict.

# policy requests as Postfix sends them (leading byte: read size)
fuzz_policy_req() {
    printf 'request=smtpd_access_policy\nprotocol_state=%s\npolicy_context=%s\nclient_address=%s\nsasl_username=%s\nsender=%s\nrecipient=%s\nrecipient_count=0\nencryption_protocol=%s\nencryption_keysize=%s\n\n' "$@"
}

fuzz_seed_dirs() {
    _src=$1 _work=$2; shift 2
    for _t in "$@"; do
	mkdir -p "$_work/$_t"
	[ -d "$_src/t/fuzz/seeds/$_t" ] && cp "$_src/t/fuzz/seeds/$_t"/* "$_work/$_t/" 2>/dev/null
	case $_t in
	mime)   _i=0   # a leading byte selects chunk size and API (fuzz_mime.c)
		# malformed variants of t/mime_variants.py (issue 8), one set
		# per item; refresh: t/mime_variants.py --seeds DIR
		cp "$_src"/t/fuzz/seeds/mime-variants/* "$_work/mime/" 2>/dev/null
		# (the real-world corpus is in the repository: t/corpus/README.md)
		for _f in "$_src"/t/engine/msgs/*.eml \
			  "$_src"/t/corpus/real-world/*/*.eml; do
		    [ -f "$_f" ] || continue
		    _i=$((_i + 1))
		    { printf "\\$(printf %o $(( (_i * 37) % 256 )))"; head -c 65536 "$_f"; } \
			> "$_work/mime/gen$_i"
		done ;;
	conf)   for _f in "$_src"/conf/screener.conf "$_src"/t/engine/*.conf; do
		    [ -f "$_f" ] && cp "$_f" "$_work/conf/gen-$(basename "$_f")"
		done ;;
	policy) { printf "\037"; fuzz_policy_req RCPT public 192.0.2.1 "" a@outside.example b@example.com "" ""; } > "$_work/policy/gen-public"
		{ printf "\037"; fuzz_policy_req RCPT submission 192.0.2.7 alice@example.com alice@example.com x@aol.com TLSv1.3 256; } > "$_work/policy/gen-submission"
		{ printf "\037"; fuzz_policy_req RCPT internal 10.1.1.25 "" a@example.com x@aol.com "" ""; } > "$_work/policy/gen-internal" ;;
	container|tnef|inline)   # made by t/files/mkfiles.py
		python3 "$_src/t/fuzz/files_seeds.py" "$_t" "$_work/$_t" 2>/dev/null ;;
	esac
	# never an empty corpus: libFuzzer then starts from nothing
	[ -n "$(ls "$_work/$_t")" ] || printf 'x' > "$_work/$_t/empty"
    done
}

# the targets a build has: every t/fuzz/fuzz_NAME.c the build made
fuzz_targets() {
    for _c in "$1"/t/fuzz/fuzz_*.c; do
	_n=$(basename "$_c" .c); _n=${_n#fuzz_}
	[ -x "$2/t/fuzz/fuzz_$_n" ] && printf '%s ' "$_n"
    done
}
