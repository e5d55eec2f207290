namespace TcpStates.Output;

/// <summary>
/// Builds one output line in a span, printf-style: fields are written, then padded (%-Ns) or cut (%.Ns).
/// Widths count characters, as Python's % operator does; every field but the command name is ASCII.
/// </summary>
public ref struct Utf8Line
{
    private readonly Span<byte> _buffer;
    private int _length;

    public Utf8Line(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly Span<byte> Free => _buffer[_length..];

    public void Advance(int count) => _length += count;

    public void Append(byte b) => _buffer[_length++] = b;

    public void Append(scoped ReadOnlySpan<byte> text)
    {
        text.CopyTo(_buffer[_length..]);
        _length += text.Length;
    }

    /// <summary>%-Ns: left-justified in at least <paramref name="width"/> characters.</summary>
    public void AppendPadded(scoped ReadOnlySpan<byte> text, int width)
    {
        Append(text);
        Pad(System.Text.Ascii.IsValid(text) ? text.Length : CommandName.CountScalars(text), width);
    }

    /// <summary>%-N.Ns: at most, and at least, <paramref name="width"/> characters.</summary>
    public void AppendCut(scoped ReadOnlySpan<byte> text, int width)
    {
        if (System.Text.Ascii.IsValid(text))
        {
            // A character per byte: the common case, without counting.
            ReadOnlySpan<byte> ascii = text.Length > width ? text[..width] : text;
            Append(ascii);
            Pad(ascii.Length, width);
            return;
        }
        ReadOnlySpan<byte> cut = text[..CommandName.PrefixLength(text, width)];
        AppendPadded(cut, width);
    }

    /// <summary>Pads what was written since <paramref name="start"/> (ASCII) to <paramref name="width"/>.</summary>
    public void PadFrom(int start, int width) => Pad(_length - start, width);

    public void AppendDecimal(ulong value, int width = 0)
    {
        int start = _length;
        _length += AsciiNumber.WriteDecimal(value, Free);
        PadFrom(start, width);
    }

    public void AppendHex(ulong value, int width = 0)
    {
        int start = _length;
        _length += AsciiNumber.WriteHex(value, Free);
        PadFrom(start, width);
    }

    /// <summary>%.3f of a time in microseconds as milliseconds (see <see cref="AsciiNumber.WriteMilliseconds"/>).</summary>
    public void AppendMilliseconds(ulong micros, int width = 0)
    {
        int start = _length;
        _length += AsciiNumber.WriteMilliseconds(micros, Free);
        PadFrom(start, width);
    }

    /// <summary>%.6f of a signed time in microseconds as seconds (see <see cref="AsciiNumber.WriteMicrosAsSeconds"/>).</summary>
    public void AppendMicrosAsSeconds(long micros, int width = 0)
    {
        int start = _length;
        _length += AsciiNumber.WriteMicrosAsSeconds(micros, Free);
        PadFrom(start, width);
    }

    public void AppendFixed(double value, int decimals, int width = 0)
    {
        int start = _length;
        _length += AsciiNumber.WriteFixed(value, decimals, Free);
        PadFrom(start, width);
    }

    private void Pad(int written, int width)
    {
        if (written >= width)
            return;
        _buffer.Slice(_length, width - written).Fill((byte)' ');
        _length += width - written;
    }
}
