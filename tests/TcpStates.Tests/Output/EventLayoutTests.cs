using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using TcpStates.Output;
using TcpStates.Tests.EndToEnd;
using TcpStates.Tests.Packaging;
using TcpStates.Tests.Portability;

namespace TcpStates.Tests.Output;

/// <summary>
/// The reader's records against the header the kernel program is built with: clang lays out bpf/tcpstates.h for the
/// BPF target (the writer) and checks, field by field, the offsets and sizes the C# structs declare.
/// </summary>
public class EventLayoutTests
{
    [Theory]
    [InlineData(typeof(TcpStateEvent), "event")]
    [InlineData(typeof(Ipv4TcpStateEvent), "event_ipv4")]
    public void The_struct_matches_bpf_tcpstates_h_as_clang_lays_it_out_for_BPF(Type type, string cStruct)
    {
        var asserts = new StringBuilder();
        asserts.AppendLine($"_Static_assert(sizeof(struct {cStruct}) == {SizeOf(type)}, \"size\");");
        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance);
        Assert.NotEmpty(fields);
        foreach (FieldInfo field in fields)
        {
            int offset = field.GetCustomAttribute<FieldOffsetAttribute>()!.Value;
            string c = CName(field.Name);
            asserts.AppendLine($"_Static_assert(__builtin_offsetof(struct {cStruct}, {c}) == {offset}, \"{c} offset\");");
            asserts.AppendLine($"_Static_assert(sizeof(((struct {cStruct} *)0)->{c}) == {SizeOf(field.FieldType)}, \"{c} size\");");
        }
        string dir = Directory.CreateTempSubdirectory("tcpstates-layout-").FullName;
        try
        {
            string source = Path.Combine(dir, "layout.c");
            File.WriteAllText(source, "typedef unsigned long long __u64; typedef long long __s64; typedef unsigned int __u32; typedef int __s32;\n" +
                "typedef unsigned short __u16; typedef unsigned char __u8;\n#include \"tcpstates.h\"\n" + asserts);
            ProcessResult clang = ProcessResult.Run(HostClang.Find(),
                ["-target", "bpf", "-fsyntax-only", "-I", Path.Combine(PublishedTool.RepoRoot(), "bpf"), source], TimeSpan.FromMinutes(1));
            Assert.True(clang.ExitCode == 0, clang.Stderr + clang.Stdout + asserts);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int SizeOf(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    /// <summary>The C name of a field of the reader's structs.</summary>
    private static string CName(string field) => field switch
    {
        "SkAddr" => "skaddr",
        "TimestampNs" => "ts_ns",
        "DeltaUs" => "delta_us",
        "SourceAddress" => "saddr",
        "DestinationAddress" => "daddr",
        "Task" => "task",
        "Pid" => "pid",
        "OldState" => "oldstate",
        "NewState" => "newstate",
        "Family" => "family",
        "SourcePort" => "sport",
        "DestinationPort" => "dport",
        "NetNs" => "netns",
        "CgroupId" => "cgroup_id",
        _ => throw new ArgumentException($"no C name known for field {field}"),
    };
}
