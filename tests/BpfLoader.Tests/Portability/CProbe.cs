using System.Diagnostics;
using System.Text;

namespace BpfLoader.Tests.Portability;

/// <summary>
/// Evaluates C constant expressions (sizeof, offsetof, __NR_*) against the real system headers of one
/// architecture: clang compiles them into an initialised array in a section of its own, and the object's
/// bytes are read back. Nothing is run, so aarch64 numbers come out on an x86-64 host too.
/// </summary>
internal static class CProbe
{
    private const string SectionName = "probe_values";

    /// <summary>The value of each expression, in order, as the compiler for <paramref name="triple"/> sees it, with
    /// <paramref name="defines"/> (e.g. _GNU_SOURCE) defined before the includes.</summary>
    public static long[] Evaluate(string triple, IReadOnlyList<string> includes, IReadOnlyList<string> expressions,
        IReadOnlyList<string>? defines = null)
    {
        var source = new StringBuilder();
        foreach (string define in defines ?? [])
            source.Append("#define ").Append(define).Append('\n');
        foreach (string include in includes)
            source.Append("#include <").Append(include).Append(">\n");
        source.Append("__attribute__((used, section(\"" + SectionName + "\"))) const long long probe_value_table[] = {\n");
        foreach (string e in expressions)
            source.Append("    (long long)(").Append(e).Append("),\n");
        source.Append("};\n");

        string dir = Path.Combine(Path.GetTempPath(), "cprobe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string c = Path.Combine(dir, "probe.c"), o = Path.Combine(dir, "probe.o");
            File.WriteAllText(c, source.ToString());
            string clang = FindClang();
            var psi = new ProcessStartInfo(clang) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[] { "--target=" + triple, "-c", "-O0", "-o", o, c })
                psi.ArgumentList.Add(arg);
            using Process p = Process.Start(psi)!;
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new InvalidOperationException(
                    $"{clang} --target={triple} failed (the headers of that architecture: for aarch64, apt-get install libc6-dev:arm64):\n{stderr.Result}");
            byte[] bytes = ElfSection(File.ReadAllBytes(o), SectionName);
            Assert.Equal(expressions.Count * 8, bytes.Length);
            var values = new long[expressions.Count];
            for (int i = 0; i < values.Length; i++)
                values[i] = BitConverter.ToInt64(bytes, i * 8);   // both targets are little-endian
            return values;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Evaluates each check's C expression for <paramref name="triple"/> and fails, naming every one, where it
    /// differs from the C# value.</summary>
    public static void AssertSameAsHeaders(string triple, IReadOnlyList<string> includes,
        IReadOnlyList<(string What, string C, long CSharp)> checks, IReadOnlyList<string>? defines = null)
    {
        long[] c = Evaluate(triple, includes, checks.Select(x => x.C).ToList(), defines);
        var wrong = new StringBuilder();
        for (int i = 0; i < checks.Count; i++)
            if (checks[i].CSharp != c[i])
                wrong.Append($"\n  {checks[i].What}: C# {checks[i].CSharp}, {checks[i].C} = {c[i]}");
        Assert.True(wrong.Length == 0, $"{triple}: differs from the headers:{wrong}");
    }

    /// <summary>The bytes of a named section of a little-endian ELF64 relocatable object.</summary>
    private static byte[] ElfSection(byte[] elf, string name)
    {
        Assert.True(elf.Length > 64 && elf[4] == 2 && elf[5] == 1, "not a little-endian ELF64 object");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C), shstrndx = BitConverter.ToUInt16(elf, 0x3E);
        long Header(int i) => shoff + (long)i * shentsize;
        long strtab = BitConverter.ToInt64(elf, (int)Header(shstrndx) + 0x18);
        for (int i = 0; i < shnum; i++)
        {
            int h = (int)Header(i);
            int nameOffset = (int)(strtab + BitConverter.ToUInt32(elf, h));
            int end = Array.IndexOf(elf, (byte)0, nameOffset);
            if (Encoding.ASCII.GetString(elf, nameOffset, end - nameOffset) != name)
                continue;
            long offset = BitConverter.ToInt64(elf, h + 0x18), size = BitConverter.ToInt64(elf, h + 0x20);
            return elf.AsSpan((int)offset, (int)size).ToArray();
        }
        throw new InvalidOperationException($"section {name} not in the probe object");
    }

    private static string FindClang()
    {
        string[] path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string name in new[] { "clang" }.Concat(Enumerable.Range(11, 12).Reverse().Select(v => $"clang-{v}")))
            foreach (string dir in path)
                if (File.Exists(Path.Combine(dir, name)))
                    return Path.Combine(dir, name);
        throw new InvalidOperationException("clang not found on PATH (the build needs it too: apt-get install clang-14)");
    }
}
