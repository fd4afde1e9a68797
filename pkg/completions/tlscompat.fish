# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tlscompat_global_optspecs
    string join \n h/help V/version
end

function __fish_tlscompat_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tlscompat_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tlscompat_using_subcommand
    set -l cmd (__fish_tlscompat_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tlscompat -n "__fish_tlscompat_needs_command" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -s V -l version -d 'Print version'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "scan" -d 'Probe TLS 1.0-1.3 on every address of every target (default: the embedded Microsoft 365 activation endpoint list)'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "endpoints" -d 'Print the effective endpoint list, or convert Microsoft\'s endpoint JSON into one'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "merge" -d 'Combine the JSON reports of sharded scans (`scan --shard K/N --json F`) into the reports and exit code one unsharded scan would have produced'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "clients" -d 'List the client profiles of `--clients`: the Windows builds each stands for, the exact ClientHello it sends, and where each part of it comes from'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "completions" -d 'Print a shell completion script on stdout, e.g. `tlscompat completions bash > /etc/bash_completion.d/tlscompat`'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "man" -d 'Print the manual page (roff) on stdout: `tlscompat man | man -l -`'
complete -c tlscompat -n "__fish_tlscompat_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l endpoints -d 'Endpoint list to use instead of the embedded one: a FILE, or `mail` for the embedded Exchange Online mail list (smtp.office365.com, smtp-legacy, IMAP/POP on outlook.office365.com; a file named mail: `./mail`)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l tenant -d 'The first label of your domain\'s MX host, for the mail list\'s template `{tenant}.mail.protection.outlook.com` (e.g. `contoso-com` for contoso.com); without it that entry is skipped' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l tls-min -d 'Oldest TLS version to probe: 1.0, 1.1, 1.2 or 1.3' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l tls-max -d 'Newest TLS version to probe: 1.0, 1.1, 1.2 or 1.3' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l resolver -d 'Nameserver to use instead of the system\'s, IP[:PORT] (repeatable)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l roots -d 'Replace the built-in public roots (webpki-roots) with the CAs in this PEM file: private PKI, air-gapped networks, labs (repeatable)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l ca-file -d 'Extra locally trusted CA, like an enterprise CA in the system store (repeatable)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l proxy -d 'Proxy for every probe, as curl takes it: [http://][user:pass@]host[:port] (HTTP CONNECT, port 8080 by default), socks5://host[:port] (names resolved here) or socks5h://host[:port] (by the proxy), port 1080 by default' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l proxy-user -d 'Proxy credentials (replace the URL\'s): DOMAIN\\user:password, user@REALM:password; without :PASS the password comes from TLSCOMPAT_PROXY_PASSWORD; `:` alone means no user (Negotiate with the Kerberos ticket)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l proxy-auth -d 'How to answer a proxy\'s 407: basic, ntlm, negotiate (Kerberos ticket cache or keytab), or any (the strongest the proxy offers) [default: any]. Without credentials or this flag no authentication is attempted' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l timeout -d 'Connect timeout and handshake timeout, each (e.g. 5s, 800ms)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l retries -d 'Extra attempts after a timeout (closes and resets are always confirmed once)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l max-addresses -d 'Addresses scanned per name, at most: a name with more A/AAAA records (a CDN pool, a misconfigured zone) is scanned on the first N (IPv4 first, in address order) and its records carry a note saying how many were left out' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l clients -d 'Client profiles to emulate: a comma-separated list of win7, win7-tls12, win81, win10-1607, win10, win11-21h2, win11, ws2008r2, ws2012, ws2012-tls12, ws2012r2, ws2016, ws2019, ws2022, or `all`. Each sends that client\'s exact ClientHello once per address and says whether it would connect, and why not (`tlscompat clients` shows the builds, the hellos and their sources)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l client-hello -d 'Replay a ClientHello captured on your own client as profile NAME (CSV column client_NAME): FILE is a pcap or pcapng (tcpdump, Wireshark, tshark, dumpcap, `pktmon etl2pcap`) or a hex dump of the hello; `FILE#N` picks its N-th hello. Sent as captured but for the SNI (repeatable; see README "Your own client")' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l starttls -d 'Mail protocol to speak before TLS: smtp (EHLO, STARTTLS), imap (a STARTTLS), pop3 (STLS), or none (TLS from the first byte, no mail dialogue). Default: by port: STARTTLS on 25, 587 (SMTP), 143 (IMAP), 110 (POP3); implicit TLS on 465, 993, 995. After a completed handshake the mail service\'s next answer is read: a refusal there (`421 4.7.66 ...`) makes the version `refused`, not accepted' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l concurrency -d 'Connections in flight across the whole scan' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l per-address -d 'Connections in flight to any one IP address, all ports together (through a proxy: per proxy route). The default is one address\'s probes (4 versions + 1 handshake), so that a silent address costs one round of timeouts, not two' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l fail-on -d 'Findings that make the exit code 1: comma-separated names, or `none`' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l shard -d 'Scan only the K-th of N disjoint slices of the targets (1 <= K <= N), chosen by a stable hash of host:port, so N runners cover the list exactly once whatever its order. Combine their `--json` reports with `tlscompat merge`' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l baseline -d 'Compare with an earlier JSON report: records whose verdicts, best version, certificate, trust or interception changed get the finding `drift` (not in the default --fail-on); appeared and disappeared records are listed' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l format -d 'Format written to stdout' -r -f -a "table\t''
csv\t''
json\t''"
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l csv -d 'Also write the CSV report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l json -d 'Also write the JSON report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l junit -d 'Also write a JUnit XML report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l html -d 'Also write the self-contained HTML report (inline CSS, no external resource) to FILE' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l color -d 'Colour in the table: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l ipv4 -d 'Scan IPv4 addresses only'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l ipv6 -d 'Scan IPv6 addresses only'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l no-system-store -d 'Leave the operating system\'s trust store out of the local roots (implied by --roots)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l no-env-proxy -d 'Ignore HTTPS_PROXY / https_proxy / NO_PROXY / no_proxy'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l compare-direct -d 'Through a proxy, also handshake directly and compare the leaf certificates'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l ciphers -d 'Enumerate the cipher suites of every accepted version, in the server\'s preference order (about one probe per accepted suite, plus one)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -s q -l quiet -d 'No progress bar and no summary line on stderr'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -l no-progress -d 'No progress bar'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand scan" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and not __fish_seen_subcommand_from import help" -l endpoints -l list -d 'Endpoint list to print instead of the embedded one: a FILE, or `mail` for the embedded Exchange Online mail list (a file named mail: `./mail`)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and not __fish_seen_subcommand_from import help" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and not __fish_seen_subcommand_from import help" -f -a "import" -d 'Convert the Microsoft 365 endpoint web service JSON (worldwide instance, `https://endpoints.office.com/endpoints/worldwide?clientrequestid=<GUID>`, saved by the admin) into the endpoints.toml schema, on stdout. Categories and set IDs are kept; wildcard names are left out (they cannot be scanned) and listed in a comment'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and not __fish_seen_subcommand_from import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and __fish_seen_subcommand_from import" -s o -l output -d 'Write the TOML here instead of stdout' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and __fish_seen_subcommand_from help" -f -a "import" -d 'Convert the Microsoft 365 endpoint web service JSON (worldwide instance, `https://endpoints.office.com/endpoints/worldwide?clientrequestid=<GUID>`, saved by the admin) into the endpoints.toml schema, on stdout. Categories and set IDs are kept; wildcard names are left out (they cannot be scanned) and listed in a comment'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand endpoints; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l fail-on -d 'Findings that make the exit code 1 (default: the `--fail-on` the shards ran with)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l format -d 'Format written to stdout' -r -f -a "table\t''
csv\t''
json\t''"
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l csv -d 'Also write the CSV report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l json -d 'Also write the JSON report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l junit -d 'Also write a JUnit XML report to FILE (\'-\': stdout, instead of --format)' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l html -d 'Also write the self-contained HTML report (inline CSS, no external resource) to FILE' -r -F
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -l color -d 'Colour in the table: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -s q -l quiet -d 'No summary line on stderr'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand merge" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand clients" -l format -d '`table`: for people, unsure fields marked UNSURE; `json`: for tools' -r -f -a "table\t''
json\t''"
complete -c tlscompat -n "__fish_tlscompat_using_subcommand clients" -l client-hello -d 'Show the ClientHello `scan --client-hello NAME=FILE[#N]` would replay, field by field, instead of the built-in profiles (repeatable)' -r
complete -c tlscompat -n "__fish_tlscompat_using_subcommand clients" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand completions" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand man" -s h -l help -d 'Print help'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "scan" -d 'Probe TLS 1.0-1.3 on every address of every target (default: the embedded Microsoft 365 activation endpoint list)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "endpoints" -d 'Print the effective endpoint list, or convert Microsoft\'s endpoint JSON into one'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "merge" -d 'Combine the JSON reports of sharded scans (`scan --shard K/N --json F`) into the reports and exit code one unsharded scan would have produced'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "clients" -d 'List the client profiles of `--clients`: the Windows builds each stands for, the exact ClientHello it sends, and where each part of it comes from'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "completions" -d 'Print a shell completion script on stdout, e.g. `tlscompat completions bash > /etc/bash_completion.d/tlscompat`'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "man" -d 'Print the manual page (roff) on stdout: `tlscompat man | man -l -`'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and not __fish_seen_subcommand_from scan endpoints merge clients completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tlscompat -n "__fish_tlscompat_using_subcommand help; and __fish_seen_subcommand_from endpoints" -f -a "import" -d 'Convert the Microsoft 365 endpoint web service JSON (worldwide instance, `https://endpoints.office.com/endpoints/worldwide?clientrequestid=<GUID>`, saved by the admin) into the endpoints.toml schema, on stdout. Categories and set IDs are kept; wildcard names are left out (they cannot be scanned) and listed in a comment'
