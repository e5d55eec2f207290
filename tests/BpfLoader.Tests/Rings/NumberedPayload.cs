using System.Buffers.Binary;

namespace BpfLoader.Tests.Rings;

/// <summary>Test records: a u64 sequence number, then bytes derived from it, so a torn or shifted record shows.</summary>
internal static class NumberedPayload
{
    public static byte[] Make(ulong seq, int length)
    {
        var bytes = new byte[length];
        Fill(bytes, seq);
        return bytes;
    }

    public static void Fill(Span<byte> bytes, ulong seq)
    {
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)(seq * 31 + (ulong)i);
        if (bytes.Length >= 8)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, seq);
    }

    /// <summary>True when <paramref name="record"/> is exactly what Make(seq, record.Length) produced.</summary>
    public static bool Matches(ReadOnlySpan<byte> record, ulong seq)
    {
        if (record.Length >= 8 && BinaryPrimitives.ReadUInt64LittleEndian(record) != seq)
            return false;
        for (int i = 8; i < record.Length; i++)
            if (record[i] != (byte)(seq * 31 + (ulong)i))
                return false;
        return true;
    }

    public static ulong Seq(ReadOnlySpan<byte> record) => BinaryPrimitives.ReadUInt64LittleEndian(record);
}
