using System.Buffers.Binary;
using System.Text;
using BpfLoader.Object;

namespace BpfLoader.Links;

/// <summary>
/// Where a uprobe goes in a file: a symbol's offset in an ELF executable or shared library, as the
/// uprobe PMU wants it (the symbol's address less its LOAD segment's address plus that segment's file offset).
/// </summary>
public static class UprobeTarget
{
    private const int ShtSymTab = 2, ShtDynSym = 11, PtLoad = 1, PfExecute = 1;

    /// <summary>The file offset of a function symbol (from .symtab, else .dynsym) of a 64-bit little-endian ELF file.</summary>
    /// <param name="binaryPath">The executable or library.</param>
    /// <param name="symbol">The symbol's name, without a version (e.g. "getpid").</param>
    public static ulong FileOffset(string binaryPath, string symbol)
    {
        ArgumentException.ThrowIfNullOrEmpty(binaryPath);
        ArgumentException.ThrowIfNullOrEmpty(symbol);
        byte[] elf = File.ReadAllBytes(binaryPath);
        ReadOnlySpan<byte> e = elf;
        if (e.Length < 64 || !e[..4].SequenceEqual("\u007fELF"u8) || e[4] != 2 || e[5] != 1)
            throw new BpfObjectException($"{binaryPath} is not a 64-bit little-endian ELF file");
        ulong address = FindSymbol(e, binaryPath, symbol, ShtSymTab) ?? FindSymbol(e, binaryPath, symbol, ShtDynSym)
            ?? throw new BpfObjectException($"{binaryPath} has no function symbol '{symbol}'");

        ulong phoff = U64(e, 0x20, binaryPath);
        int phentsize = U16(e, 0x36, binaryPath), phnum = U16(e, 0x38, binaryPath);
        for (int i = 0; i < phnum; i++)
        {
            int at = Checked(phoff + (ulong)(i * phentsize), 56, e.Length, binaryPath);
            if (U32(e, at, binaryPath) != PtLoad || (U32(e, at + 4, binaryPath) & PfExecute) == 0) continue;
            ulong offset = U64(e, at + 8, binaryPath), vaddr = U64(e, at + 16, binaryPath), memsz = U64(e, at + 40, binaryPath);
            if (address >= vaddr && address - vaddr < memsz)
                return address - vaddr + offset;
        }
        throw new BpfObjectException($"{binaryPath}: symbol '{symbol}' at 0x{address:x} is in no executable LOAD segment");
    }

    private static ulong? FindSymbol(ReadOnlySpan<byte> e, string path, string symbol, int tableType)
    {
        ulong shoff = U64(e, 0x28, path);
        int shentsize = U16(e, 0x3A, path), shnum = U16(e, 0x3C, path);
        byte[] wanted = Encoding.UTF8.GetBytes(symbol);
        for (int i = 0; i < shnum; i++)
        {
            int sh = Checked(shoff + (ulong)(i * shentsize), 64, e.Length, path);
            if (U32(e, sh + 4, path) != tableType) continue;
            int link = (int)U32(e, sh + 40, path);
            if (link >= shnum) throw new BpfObjectException($"{path}: symbol table {i} links to section {link} of {shnum}");
            int strSh = Checked(shoff + (ulong)(link * shentsize), 64, e.Length, path);
            ulong strOff = U64(e, strSh + 24, path), strSize = U64(e, strSh + 32, path);
            Checked(strOff, (int)Math.Min(strSize, int.MaxValue), e.Length, path);
            ulong off = U64(e, sh + 24, path), size = U64(e, sh + 32, path);
            for (ulong s = 0; s + 24 <= size; s += 24)
            {
                int sym = Checked(off + s, 24, e.Length, path);
                byte type = (byte)(e[sym + 4] & 0xf);
                ushort shndx = BinaryPrimitives.ReadUInt16LittleEndian(e[(sym + 6)..]);
                if (type != 2 /* STT_FUNC */ || shndx == 0) continue;
                ulong name = U32(e, sym, path);
                if (name >= strSize) continue;
                ReadOnlySpan<byte> rest = e.Slice((int)(strOff + name), (int)(strSize - name));
                int end = rest.IndexOf((byte)0);
                if (end >= 0 && rest[..end].SequenceEqual(wanted))
                    return U64(e, sym + 8, path);
            }
        }
        return null;
    }

    private static int Checked(ulong offset, int length, int total, string path) =>
        offset <= (ulong)total && (ulong)total - offset >= (ulong)length
            ? (int)offset
            : throw new BpfObjectException($"{path}: {length} bytes at 0x{offset:x} are past the end of the file ({total} bytes)");

    private static ulong U64(ReadOnlySpan<byte> e, int at, string path) =>
        BinaryPrimitives.ReadUInt64LittleEndian(e[Checked((ulong)at, 8, e.Length, path)..]);

    private static uint U32(ReadOnlySpan<byte> e, int at, string path) =>
        BinaryPrimitives.ReadUInt32LittleEndian(e[Checked((ulong)at, 4, e.Length, path)..]);

    private static ushort U16(ReadOnlySpan<byte> e, int at, string path) =>
        BinaryPrimitives.ReadUInt16LittleEndian(e[Checked((ulong)at, 2, e.Length, path)..]);
}
