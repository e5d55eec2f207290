using System.Buffers;
using System.Text;

namespace TcpStates.Output;

/// <summary>
/// A command name made safe to print. Any process picks its own name, so the original (which prints it as is)
/// lets a process move the cursor, recolour or clear the terminal, or break a CSV line. We escape, in every mode
/// and whatever stdout is: C0 controls, DEL, C1 controls and bidi controls as \xNN per byte, bytes that are not UTF-8 as \xNN,
/// and the backslash as \\ so that the escapes are unambiguous. Other characters pass as UTF-8.
/// </summary>
public static class CommandName
{
    /// <summary>Bytes that are printed as they are, alone: printable ASCII but the backslash.</summary>
    private static readonly SearchValues<byte> PlainAscii = SearchValues.Create(
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"u8);

    /// <summary>Worst case: 16 bytes, each escaped to 4.</summary>
    public const int MaxEscapedLength = TcpStateEvent.TaskLength * 4;

    /// <summary>Writes the escaped name and returns the byte count.</summary>
    public static int WriteEscaped(ReadOnlySpan<byte> name, Span<byte> destination)
    {
        // Nearly every name is printable ASCII without a backslash: copied as it is.
        if (!name.ContainsAnyExcept(PlainAscii))
        {
            name.CopyTo(destination);
            return name.Length;
        }
        int n = 0;
        while (!name.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf8(name, out Rune rune, out int consumed);
            if (status != OperationStatus.Done || IsControl(rune.Value))
            {
                for (int i = 0; i < consumed; i++)
                    n += WriteByteEscape(name[i], destination[n..]);
            }
            else if (rune.Value == '\\')
            {
                destination[n++] = (byte)'\\';
                destination[n++] = (byte)'\\';
            }
            else
            {
                name[..consumed].CopyTo(destination[n..]);
                n += consumed;
            }
            name = name[consumed..];
        }
        return n;
    }

    /// <summary>
    /// The name as the original's journal fields have it: Python's decode('utf-8', 'replace'), i.e. each maximal
    /// invalid sequence becomes U+FFFD; control characters are kept (the journal is binary-safe).
    /// </summary>
    public static int WriteReplacingInvalid(ReadOnlySpan<byte> name, Span<byte> destination)
    {
        int n = 0;
        while (!name.IsEmpty)
        {
            OperationStatus status = Rune.DecodeFromUtf8(name, out _, out int consumed);
            ReadOnlySpan<byte> text = status == OperationStatus.Done ? name[..consumed] : "\uFFFD"u8;
            text.CopyTo(destination[n..]);
            n += text.Length;
            name = name[consumed..];
        }
        return n;
    }

    /// <summary>Characters (scalars) in valid UTF-8: every byte that does not continue a sequence.</summary>
    public static int CountScalars(ReadOnlySpan<byte> utf8)
    {
        int count = 0;
        foreach (byte b in utf8)
        {
            if ((b & 0xc0) != 0x80)
                count++;
        }
        return count;
    }

    /// <summary>The byte length of the first <paramref name="scalars"/> characters of valid UTF-8.</summary>
    public static int PrefixLength(ReadOnlySpan<byte> utf8, int scalars)
    {
        int seen = 0;
        for (int i = 0; i < utf8.Length; i++)
        {
            if ((utf8[i] & 0xc0) != 0x80 && seen++ == scalars)
                return i;
        }
        return utf8.Length;
    }

    /// <summary>
    /// C0, DEL, C1; and the characters that reorder or break a line without being C0/C1 controls: the bidi marks,
    /// embeddings, overrides and isolates (U+061C, U+200E/F, U+202A–202E, U+2066–2069), with which a name could
    /// make the rest of its line read backwards, and the line and paragraph separators U+2028/2029.
    /// </summary>
    private static bool IsControl(int scalar) =>
        scalar < 0x20 || scalar is >= 0x7f and <= 0x9f
        || scalar is 0x061c or 0x200e or 0x200f or (>= 0x2028 and <= 0x202e) or (>= 0x2066 and <= 0x2069);

    private static int WriteByteEscape(byte b, Span<byte> destination)
    {
        destination[0] = (byte)'\\';
        destination[1] = (byte)'x';
        destination[2] = (byte)"0123456789abcdef"[b >> 4];
        destination[3] = (byte)"0123456789abcdef"[b & 0xf];
        return 4;
    }
}
