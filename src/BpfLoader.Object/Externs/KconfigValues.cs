using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using BpfLoader.Object.Btf;
using BpfLoader.Object.Spec;

namespace BpfLoader.Object.Externs;

/// <summary>
/// The value of the .kconfig map: every <c>__kconfig</c> extern of a collection written at its offset
/// with libbpf's rules (bpf_object__read_kconfig_file): <c>y</c>/<c>n</c>/<c>m</c> into bool, tristate
/// or char; numbers into integers; quoted strings into char arrays; LINUX_KERNEL_VERSION from the release,
/// LINUX_HAS_SYSCALL_WRAPPER from CONFIG_ARCH_HAS_SYSCALL_WRAPPER, LINUX_HAS_BPF_COOKIE from the version (5.15).
/// A weak extern the configuration lacks stays 0; a missing non-weak one is an error.
/// </summary>
public static class KconfigValues
{
    private const int IntEncodingBool = 4;

    /// <summary>The bytes of the .kconfig map's single value for <paramref name="spec"/> on a kernel configured as <paramref name="config"/>.</summary>
    public static byte[] Build(CollectionSpec spec, KernelConfig config)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(config);
        if (!spec.Maps.TryGetValue(ExternSpec.KconfigMapName, out MapSpec? map)) return [];
        var value = new byte[map.ValueSize];
        foreach (ExternSpec e in spec.Externs.Values)
        {
            if (e.Kind != ExternKind.Kconfig) continue;
            Span<byte> slot = value.AsSpan(e.Offset, e.Size);
            int typeId = spec.Btf!.Type(e.BtfTypeId).TypeId;
            BtfType type = spec.Btf.SkipModifiersAndTypedefs(ref typeId);
            if (e.Name == "LINUX_KERNEL_VERSION")
            {
                WriteNumber(e, type, slot, config.KernelVersion);
                continue;
            }
            if (e.Name == "LINUX_HAS_SYSCALL_WRAPPER")
            {
                // What libbpf probes for (BPF_KSYSCALL reads it): syscalls entered through __<arch>_sys_* wrappers.
                WriteNumber(e, type, slot, config.Values.GetValueOrDefault("CONFIG_ARCH_HAS_SYSCALL_WRAPPER") == "y" ? 1UL : 0UL);
                continue;
            }
            if (e.Name == "LINUX_HAS_BPF_COOKIE")
            {
                // bpf_get_attach_cookie, which usdt.bpf.h checks for, came with 5.15.
                WriteNumber(e, type, slot, config.KernelVersion >= ((5u << 16) | (15u << 8)) ? 1UL : 0UL);
                continue;
            }
            if (!e.Name.StartsWith("CONFIG_", StringComparison.Ordinal))
            {
                if (e.IsWeak) continue;
                throw new ExternResolutionException(e.Name, $"extern __kconfig '{e.Name}' is neither CONFIG_* nor a LINUX_* value this loader provides (LINUX_KERNEL_VERSION, LINUX_HAS_SYSCALL_WRAPPER, LINUX_HAS_BPF_COOKIE)");
            }
            if (!config.Values.TryGetValue(e.Name, out string? text))
            {
                if (e.IsWeak) continue;
                throw new ExternResolutionException(e.Name, $"extern __kconfig '{e.Name}' is not set in the kernel configuration (declare it __weak to take 0)");
            }
            Write(e, spec.Btf, type, slot, text);
        }
        return value;
    }

    private static void Write(ExternSpec e, BtfSpec btf, BtfType type, Span<byte> slot, string text)
    {
        bool isBool = type.Kind == BtfKind.Int && (type.IntEncoding & IntEncodingBool) != 0;
        bool isTristate = type.IsAnyEnum && type.Name == "libbpf_tristate";
        bool isChar = type.Kind == BtfKind.Int && type.Size == 1 && !isBool && type.Name.Contains("char", StringComparison.Ordinal);
        if (text is "y" or "n" or "m")
        {
            char c = text[0];
            if (isBool && c != 'm') slot[0] = c == 'y' ? (byte)1 : (byte)0;
            else if (isTristate) WriteInteger(slot, c switch { 'y' => 1UL, 'm' => 2UL, _ => 0UL });
            else if (isChar) slot[0] = (byte)c;
            else throw Bad(e, text, isBool ? "a bool cannot be 'm'; declare it enum libbpf_tristate" : "this value needs a bool, tristate or char");
            return;
        }
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            if (type.Kind != BtfKind.Array || btf.ResolveSize(type.Array.ElementType) != 1)
                throw Bad(e, text, "a string needs a char array");
            byte[] bytes = Encoding.UTF8.GetBytes(text[1..^1]);
            int n = Math.Min(bytes.Length, slot.Length - 1);
            bytes.AsSpan(0, n).CopyTo(slot);
            slot[n..].Clear();
            return;
        }
        if (!TryParseNumber(text, out ulong number)) throw Bad(e, text, "not a number, string or y/n/m");
        WriteNumber(e, type, slot, number);
    }

    /// <summary>strtoull with base 0 as libbpf uses, less octal: decimal, 0x hex, or negative decimal.</summary>
    private static bool TryParseNumber(string text, out ulong number)
    {
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out number);
        if (text.StartsWith('-'))
        {
            bool ok = long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long signed);
            number = (ulong)signed;
            return ok;
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }

    private static void WriteNumber(ExternSpec e, BtfType type, Span<byte> slot, ulong number)
    {
        if (type.Kind is not (BtfKind.Int or BtfKind.Enum or BtfKind.Enum64))
            throw Bad(e, number.ToString(CultureInfo.InvariantCulture), "a number needs an integer type");
        bool signed = type.IsSignedInt || (type.IsAnyEnum && type.KindFlag);
        int bits = slot.Length * 8;
        bool fits = bits >= 64
            || (signed ? (long)number >= -(1L << (bits - 1)) && (long)number < (1L << (bits - 1)) : number < (1UL << bits));
        if (!fits) throw Bad(e, number.ToString(CultureInfo.InvariantCulture), $"does not fit {slot.Length} bytes");
        WriteInteger(slot, number);
    }

    private static void WriteInteger(Span<byte> slot, ulong value)
    {
        Span<byte> all = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(all, value);
        all[..Math.Min(8, slot.Length)].CopyTo(slot);
    }

    private static ExternResolutionException Bad(ExternSpec e, string value, string why) =>
        new(e.Name, $"extern __kconfig '{e.Name}': value {value}: {why}");
}
