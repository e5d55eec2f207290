using System.Collections.Frozen;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TcpStates.Containers;
using TcpStates.Output;

namespace TcpStates.Cli;

/// <summary>
/// The original's argparse interface on System.CommandLine: the same flags, bundling (-stT, -tL 80, -L80),
/// --long=value, unique prefixes of long options (--time → --tim), the -4/-6 exclusion, and argparse's error
/// messages. System.CommandLine tokenizes and binds; the argparse rules on top are checked here in token order.
/// </summary>
public sealed class TcpStatesCommandLine
{
    private readonly Option<bool> _help = Flag("--help", "-h");
    private readonly Option<bool> _time = Flag("--time", "-T");
    private readonly Option<bool> _timestamp = Flag("--timestamp", "-t");
    private readonly Option<bool> _wide = Flag("--wide", "-w");
    private readonly Option<bool> _csv = Flag("--csv", "-s");
    private readonly Option<string[]> _localPort = PortList("--localport", "-L", "LOCALPORT");
    private readonly Option<string[]> _remotePort = PortList("--remoteport", "-D", "REMOTEPORT");
    private readonly Option<bool> _ebpf = Flag("--ebpf", null);
    private readonly Option<bool> _journal = Flag("--journal", "-Y");
    private readonly Option<bool> _ipv4 = Flag("--ipv4", "-4");
    private readonly Option<bool> _ipv6 = Flag("--ipv6", "-6");
    private readonly Option<bool> _json = Flag("--json", "-j");
    private readonly Option<bool> _containers = Flag("--containers", "-C");
    private readonly Option<string> _netns = new("--netns") { HelpName = "NETNS" };
    private readonly Option<string> _cgroup = new("--cgroup") { HelpName = "PATH" };
    private readonly Command _root;
    private readonly string[] _longNames;
    private readonly Dictionary<string, Option> _byToken = new(StringComparer.Ordinal);

    public TcpStatesCommandLine()
    {
        // Not a RootCommand: our own -h (argparse's text), no --version, no [directives] (and no start-up time spent
        // making the ones it would bring, whose texts come from resources), no @response files.
        _root = new Command("tcpstates", HelpText.Description);
        Option[] all = [_help, _time, _timestamp, _wide, _csv, _localPort, _remotePort, _ebpf, _journal, _ipv4, _ipv6,
            _json, _containers, _netns, _cgroup];
        foreach (Option option in all)
            _root.Options.Add(option);
        _longNames = all.Select(o => o.Name).ToArray();
        foreach (Option option in all)
        {
            _byToken[option.Name] = option;
            foreach (string alias in option.Aliases)
                _byToken[alias] = option;
        }
    }

    public CommandLineResult Parse(IReadOnlyList<string> args)
    {
        // argparse with no positional arguments leaves "--" and all that follows it unrecognized, "--" included
        // (Python 3.11: `tcpstates --` → "unrecognized arguments: --"). Only what comes before is parsed.
        int doubleDash = 0;
        while (doubleDash < args.Count && args[doubleDash] != "--")
            doubleDash++;
        string[] expanded = new string[doubleDash];
        for (int i = 0; i < doubleDash; i++)
        {
            if (!TryExpandPrefix(args[i], out expanded[i], out string? ambiguity))
                return new CommandLineResult { Error = ambiguity };
        }

        var configuration = new ParserConfiguration { EnablePosixBundling = true, ResponseFileTokenReplacer = null };
        ParseResult result = _root.Parse(expanded, configuration);

        // argparse acts on options in order: a missing value or a -4/-6 clash stops it where it happens, -h prints
        // help where it is met, and arguments it does not know are reported only at the end.
        string? family = null;
        IReadOnlyList<Token> tokens = result.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            Token token = tokens[i];
            if (token.Type != TokenType.Option || !_byToken.TryGetValue(token.Value, out Option? option))
                continue;
            if (option == _help)
                return new CommandLineResult { HelpRequested = true };
            if ((option == _localPort || option == _remotePort || option == _netns || option == _cgroup)
                && (i + 1 >= tokens.Count || tokens[i + 1].Type != TokenType.Argument || LooksLikeOption(tokens[i + 1].Value)))
                return Failure($"argument {Describe(option)}: expected one argument");
            if (option == _ipv4 || option == _ipv6)
            {
                string name = Describe(option);
                if (family is not null && family != name)
                    return Failure($"argument {name}: not allowed with argument {family}");
                family = name;
            }
        }

        if (result.UnmatchedTokens.Count > 0 || doubleDash < args.Count)
            return Failure("unrecognized arguments: " + string.Join(' ', result.UnmatchedTokens.Concat(args.Skip(doubleDash))));
        if (result.Errors.Count > 0)
            return Failure(result.Errors[0].Message);

        // -j has its own layout: CSV or wide columns with it are a contradiction, not a choice.
        if (result.GetValue(_json))
        {
            foreach (Option other in new Option[] { _csv, _wide })
            {
                if (result.GetValue((Option<bool>)other))
                    return Failure($"argument {Describe(_json)}: not allowed with argument {Describe(other)}");
            }
        }
        uint netns = 0;
        ulong cgroup = 0;
        if (result.GetValue(_netns) is { } netnsValue && !NetworkNamespaceArgument.TryResolve(netnsValue, out netns, out string? netnsError))
            return Failure($"argument --netns: {netnsError}");
        if (result.GetValue(_cgroup) is { } cgroupValue && !CgroupArgument.TryResolve(cgroupValue, out cgroup, out string? cgroupError))
            return Failure($"argument --cgroup: {cgroupError}");

        if (!TryParsePorts(result.GetValue(_localPort), _localPort, out FrozenSet<ushort> localPorts, out string? error)
            || !TryParsePorts(result.GetValue(_remotePort), _remotePort, out FrozenSet<ushort> remotePorts, out error))
            return Failure(error);

        return new CommandLineResult
        {
            Options = new TcpStatesOptions
            {
                Time = result.GetValue(_time),
                Timestamp = result.GetValue(_timestamp),
                Wide = result.GetValue(_wide),
                Csv = result.GetValue(_csv),
                LocalPorts = localPorts,
                RemotePorts = remotePorts,
                Journal = result.GetValue(_journal),
                Family = result.GetValue(_ipv4) ? AddressText.AfInet
                    : result.GetValue(_ipv6) ? AddressText.AfInet6 : TcpStatesOptions.AnyFamily,
                Ebpf = result.GetValue(_ebpf),
                Json = result.GetValue(_json),
                Containers = result.GetValue(_containers),
                NetNs = netns,
                CgroupId = cgroup,
            },
        };
    }

    /// <summary>argparse takes "-5" or "-x" for an option, not a value, since this parser has -4 and -6.</summary>
    private static bool LooksLikeOption(string value) => value.Length > 1 && value[0] == '-';

    private static CommandLineResult Failure(string? message) => new() { Error = message };

    /// <summary>argparse's name for an option in messages: "-L/--localport".</summary>
    private static string Describe(Option option) =>
        option.Aliases.Count == 0 ? option.Name : $"{option.Aliases.First()}/{option.Name}";

    /// <summary>argparse accepts any unique prefix of a long option ("--tim" for "--time").</summary>
    private bool TryExpandPrefix(string arg, out string expanded, out string? ambiguity)
    {
        expanded = arg;
        ambiguity = null;
        if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            return true;
        int equals = arg.IndexOf('=', StringComparison.Ordinal);
        string name = equals < 0 ? arg : arg[..equals];
        if (_longNames.Contains(name))
            return true;
        string[] candidates = _longNames.Where(n => n.StartsWith(name, StringComparison.Ordinal)).ToArray();
        if (candidates.Length == 1)
            expanded = candidates[0] + (equals < 0 ? "" : arg[equals..]);
        else if (candidates.Length > 1)
        {
            ambiguity = $"ambiguous option: {name} could match {string.Join(", ", candidates)}";
            return false;
        }
        return true;
    }

    /// <summary>
    /// The most ports one of -L and -D takes: the size of the kernel program's port maps (MAX_PORTS in
    /// bpf/tcpstates.bpf.c); said here rather than as the kernel's E2BIG at load.
    /// </summary>
    public const int MaxPorts = 1024;

    /// <summary>"80,81": each a number from 1 to 65535. The last -L (or -D) given wins, as in argparse.</summary>
    private static bool TryParsePorts(string[]? values, Option option, out FrozenSet<ushort> ports, out string? error)
    {
        ports = FrozenSet<ushort>.Empty;
        error = null;
        if (values is null || values.Length == 0)
            return true;
        string list = values[^1];
        var parsed = new HashSet<ushort>();
        foreach (string item in list.Split(','))
        {
            string text = item.Trim();
            if (text.Length == 0 || !text.All(char.IsAsciiDigit)
                || !uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint port)
                || port is 0 or > ushort.MaxValue)
            {
                error = $"argument {Describe(option)}: invalid port '{item}' (expected a comma-separated list of ports from 1 to 65535)";
                return false;
            }
            parsed.Add((ushort)port);
        }
        if (parsed.Count > MaxPorts)
        {
            error = $"argument {Describe(option)}: {parsed.Count} ports given, at most {MaxPorts} can be traced";
            return false;
        }
        ports = parsed.ToFrozenSet();
        return true;
    }

    private static Option<bool> Flag(string name, string? alias)
    {
        Option<bool> option = alias is null ? new Option<bool>(name) { Hidden = true } : new Option<bool>(name, alias);
        option.Arity = ArgumentArity.Zero;
        return option;
    }

    private static Option<string[]> PortList(string name, string alias, string helpName) =>
        new(name, alias)
        {
            HelpName = helpName,
            Arity = ArgumentArity.OneOrMore,
            // Repeating -L is allowed: argparse keeps the last.
            AllowMultipleArgumentsPerToken = false,
        };
}
