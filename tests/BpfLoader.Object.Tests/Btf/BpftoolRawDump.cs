using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>
/// <c>bpftool btf dump file /sys/kernel/btf/vmlinux format raw</c>, parsed just enough to
/// know struct/union members: the independent reference the kernel-BTF tests compare with.
/// </summary>
internal sealed partial class BpftoolRawDump
{
    public sealed record Member(string Name, int TypeId, long BitOffset, int BitfieldSize);
    public sealed record RawType(int Id, string Kind, string Name, long Size, List<Member> Members);

    public Dictionary<int, RawType> Types { get; } = [];
    public int Count => Types.Count;

    private static readonly Lazy<BpftoolRawDump> Vmlinux = new(() => Load("/sys/kernel/btf/vmlinux"));
    public static BpftoolRawDump Kernel => Vmlinux.Value;

    [GeneratedRegex(@"^\[(\d+)\] (\w+) '([^']*)'(?:.*? type_id=(\d+))?(?:.*? size=(\d+))?")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^\s+'([^']*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?")]
    private static partial Regex MemberLine();

    private static BpftoolRawDump Load(string path)
    {
        string bpftool = File.Exists("/usr/sbin/bpftool") ? "/usr/sbin/bpftool" : "bpftool";
        var psi = new ProcessStartInfo(bpftool, $"btf dump file {path} format raw") { RedirectStandardOutput = true, UseShellExecute = false };
        using Process p = Process.Start(psi)!;
        var dump = new BpftoolRawDump();
        RawType? current = null;
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            Match t = TypeLine().Match(line);
            if (t.Success)
            {
                current = new RawType(Int(t.Groups[1].Value), t.Groups[2].Value, t.Groups[3].Value == "(anon)" ? "" : t.Groups[3].Value,
                    t.Groups[5].Success ? long.Parse(t.Groups[5].Value, CultureInfo.InvariantCulture) : 0, []);
                dump.Types[current.Id] = current;
                if (t.Groups[4].Success) dump._typeOf[current.Id] = Int(t.Groups[4].Value);
                continue;
            }
            Match m = MemberLine().Match(line);
            if (m.Success && current is { Kind: "STRUCT" or "UNION" })
            {
                current.Members.Add(new Member(m.Groups[1].Value == "(anon)" ? "" : m.Groups[1].Value, Int(m.Groups[2].Value),
                    long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), m.Groups[4].Success ? Int(m.Groups[4].Value) : 0));
            }
        }
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("bpftool failed");
        return dump;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    public RawType Struct(string name) => Types.Values.Single(t => t.Kind == "STRUCT" && t.Name == name);

    /// <summary>Bit offset of a dotted member path from a struct, descending through anonymous members as C does.</summary>
    public (long BitOffset, Member Member) Find(string structName, string path)
    {
        RawType t = Struct(structName);
        long offset = 0;
        Member? found = null;
        foreach (string name in path.Split('.'))
        {
            (long o, Member m) = FindIn(t, name) ?? throw new InvalidOperationException($"{structName} has no {path}");
            offset += o;
            found = m;
            t = Types[Resolve(m.TypeId)];
        }
        return (offset, found!);
    }

    private (long, Member)? FindIn(RawType t, string name)
    {
        foreach (Member m in t.Members)
        {
            if (m.Name == name) return (m.BitOffset, m);
            if (m.Name.Length == 0 && FindIn(Types[Resolve(m.TypeId)], name) is (long inner, Member mm)) return (m.BitOffset + inner, mm);
        }
        return null;
    }

    /// <summary>Follows typedefs and qualifiers.</summary>
    public int Resolve(int id)
    {
        while (Types.TryGetValue(id, out RawType? t) && t.Kind is "TYPEDEF" or "CONST" or "VOLATILE" or "RESTRICT" or "TYPE_TAG")
            id = TypeOf(id);
        return id;
    }

    private readonly Dictionary<int, int> _typeOf = [];
    private int TypeOf(int id) => _typeOf.TryGetValue(id, out int to) ? to : throw new InvalidOperationException($"no target for {id}");
}
