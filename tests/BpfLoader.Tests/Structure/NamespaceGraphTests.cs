using BpfLoader.Maps;
using BpfLoader.Object.Spec;
using Xunit.Abstractions;

namespace BpfLoader.Tests.Structure;

/// <summary>
/// The seam between the object assembly and the kernel assembly, and the layering inside each, checked
/// on the compiled assemblies: no namespace depends on itself through others, and BpfLoader.Object
/// reaches neither native code nor the kernel assembly.
/// </summary>
public class NamespaceGraphTests(ITestOutputHelper output)
{
    private static readonly string ObjectAssembly = typeof(CollectionSpec).Assembly.Location;
    private static readonly string KernelAssembly = typeof(BpfMap).Assembly.Location;

    private static NamespaceGraph Both()
    {
        var graph = new NamespaceGraph();
        graph.Add(ObjectAssembly, "BpfLoader");
        graph.Add(KernelAssembly, "BpfLoader");
        return graph;
    }

    [Fact]
    public void No_namespace_of_either_assembly_depends_on_itself_through_others()
    {
        NamespaceGraph graph = Both();
        var cycles = graph.Cycles(n => n.StartsWith("BpfLoader", StringComparison.Ordinal));
        foreach (var c in cycles) output.WriteLine(graph.Describe(c));
        Assert.True(cycles.Count == 0,
            "namespace cycles:" + Environment.NewLine + string.Join(Environment.NewLine + Environment.NewLine, cycles.Select(graph.Describe)));
    }

    [Fact]
    public void The_graph_sees_what_the_kernel_layer_uses_of_the_object_layer()
    {
        // Guards the check above against reading nothing: edges it must find, from signatures and from IL.
        NamespaceGraph graph = Both();
        Assert.Contains("BpfLoader.Object!BpfLoader.Object.Spec", graph.Edges["BpfLoader!BpfLoader"].Keys);        // Collection.Load(CollectionSpec)
        Assert.Contains("BpfLoader!BpfLoader.Interop", graph.Edges["BpfLoader!BpfLoader.Maps"].Keys);                 // syscalls in method bodies
        Assert.Contains("BpfLoader.Object!BpfLoader.Object.Btf", graph.Edges["BpfLoader.Object!BpfLoader.Object.Spec"].Keys);
        Assert.Contains("BpfLoader.Object!BpfLoader.Object", graph.Edges["BpfLoader.Object!BpfLoader.Object.Elf"].Keys); // throws BpfObjectException
    }

    [Fact]
    public void The_object_assembly_has_no_native_interop_and_no_kernel_assembly()
    {
        var graph = new NamespaceGraph();
        graph.Add(ObjectAssembly, "BpfLoader");
        Assert.Empty(graph.NativeInterop);
        Assert.DoesNotContain("BpfLoader", graph.AssemblyReferences["BpfLoader.Object"]);
        Assert.DoesNotContain(graph.Edges.Values.SelectMany(v => v.Keys), t => t.StartsWith("BpfLoader!", StringComparison.Ordinal));
    }

    [Fact]
    public void The_object_assembly_opens_no_files()
    {
        // It is given bytes, spans and streams; the kernel's files (vmlinux BTF, kallsyms, config) are the kernel assembly's.
        string[] files = ["System.IO.File", "System.IO.FileInfo", "System.IO.FileStream", "System.IO.Directory",
            "System.IO.DirectoryInfo", "System.IO.RandomAccess", "Microsoft.Win32.SafeHandles.SafeFileHandle"];
        var graph = new NamespaceGraph();
        graph.Add(ObjectAssembly, "BpfLoader");
        Assert.Empty(graph.ReferencedTypes["BpfLoader.Object"].Intersect(files));

        var kernel = new NamespaceGraph();
        kernel.Add(KernelAssembly, "BpfLoader");
        Assert.Contains("System.IO.File", kernel.ReferencedTypes["BpfLoader"]);   // the same check does see file access
    }

    [Fact]
    public void The_interop_check_finds_the_kernel_assemblys_syscalls()
    {
        // The same check on the kernel assembly must find its LibraryImports, or it proves nothing above.
        var graph = new NamespaceGraph();
        graph.Add(KernelAssembly, "BpfLoader");
        Assert.Contains(graph.NativeInterop, n => n.Contains("BpfLoader.Interop.Libc", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("src/BpfLoader", "BpfLoader")]
    [InlineData("src/BpfLoader.Object", "BpfLoader.Object")]
    public void Every_source_file_declares_its_folders_namespace(string project, string root)
    {
        string dir = Path.Combine(RepoRoot(), project);
        var wrong = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(f =>
            {
                string folder = Path.GetRelativePath(dir, Path.GetDirectoryName(f)!);
                string expected = folder == "." ? root : root + "." + folder.Replace('/', '.');
                string? declared = File.ReadLines(f).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal))?["namespace ".Length..].TrimEnd(';', ' ');
                return (File: Path.GetRelativePath(dir, f), Expected: expected, Declared: declared);
            })
            .Where(x => x.Declared != x.Expected)
            .Select(x => $"{x.File}: namespace {x.Declared}, folder says {x.Expected}")
            .ToList();
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    private static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "TcpStates.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("no TcpStates.sln above " + AppContext.BaseDirectory);
    }
}
