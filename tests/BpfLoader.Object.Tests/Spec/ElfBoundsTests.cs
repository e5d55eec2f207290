using BpfLoader.Object;
using BpfLoader.Object.Spec;

namespace BpfLoader.Object.Tests.Spec;

/// <summary>
/// Sizes and offsets an object declares are checked against the file before anything is allocated
/// for them (issue 13, item 6): a damaged header is a <see cref="BpfObjectException"/>, never an
/// OutOfMemoryException nor an allocation the file's size does not justify.
/// </summary>
public class ElfBoundsTests
{
    /// <summary>Far more than any parse of these objects needs, far less than what a trusted size field would cost.</summary>
    private const long AllocationLimit = 32 << 20;

    private static (Exception? Error, long Allocated) Parse(byte[] image)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            CollectionSpec.Parse(image);
            return (null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (Exception e)
        {
            return (e, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void A_string_table_declaring_0x7FFFFFFF_bytes_is_refused_before_it_is_allocated()
    {
        byte[] image = TestObjects.Bytes(TestObjects.TcpStates);
        ElfImage.WriteU64(image, ElfImage.Header(image, ".strtab") + ElfImage.ShSize, 0x7FFF_FFFF);

        (Exception? error, long allocated) = Parse(image);

        Assert.IsType<BpfObjectException>(error);
        // clang's .strtab holds the section names too: it is the first thing read.
        Assert.Contains("section name table (offset", error.Message, StringComparison.Ordinal);
        Assert.Contains("lies outside the", error.Message, StringComparison.Ordinal);
        Assert.InRange(allocated, 0, AllocationLimit);
    }

    [Theory]
    [InlineData(ElfImage.ShSize, 0x7FFF_FFFFUL)]
    [InlineData(ElfImage.ShSize, 0xFFFF_FFFFUL)]
    [InlineData(ElfImage.ShSize, 0xFFFF_FFFF_FFFF_FFFFUL)]
    [InlineData(ElfImage.ShOffset, 0x7FFF_FFFFUL)]
    [InlineData(ElfImage.ShOffset, 0xFFFF_FFFF_FFFF_FFF0UL)]
    [InlineData(ElfImage.ShLink, 0xFFFF_FFFFUL)]
    [InlineData(ElfImage.ShInfo, 0xFFFF_FFFFUL)]
    [InlineData(ElfImage.ShEntSize, 0UL)]
    [InlineData(ElfImage.ShEntSize, 0xFFFF_FFFF_FFFF_FFFFUL)]
    public void A_huge_field_in_any_section_header_is_a_BpfObjectException_within_bounded_memory(int field, ulong value)
    {
        byte[] original = TestObjects.Bytes(TestObjects.Multi);
        foreach ((string name, int header) in ElfImage.SectionHeaders(original))
        {
            byte[] image = (byte[])original.Clone();
            if (field is ElfImage.ShLink or ElfImage.ShInfo)
                BitConverter.TryWriteBytes(image.AsSpan(header + field), (uint)value);
            else
                ElfImage.WriteU64(image, header + field, value);

            (Exception? error, long allocated) = Parse(image);

            Assert.True(error is null or BpfObjectException, $"{name}: {error}");
            Assert.True(allocated < AllocationLimit, $"{name}: {allocated} bytes allocated");
        }
    }

    [Fact]
    public void A_bss_declaring_a_gigabyte_is_refused_without_allocating_it()
    {
        byte[] image = TestObjects.Bytes(TestObjects.Multi);
        ElfImage.WriteU64(image, ElfImage.Header(image, ".bss") + ElfImage.ShSize, 1UL << 30);

        (Exception? error, long allocated) = Parse(image);

        Assert.IsType<BpfObjectException>(error);
        Assert.Contains(".bss", error.Message, StringComparison.Ordinal);
        Assert.InRange(allocated, 0, AllocationLimit);
    }

    [Fact]
    public void Section_headers_counted_in_section_zero_are_refused()
    {
        // e_shnum 0 means "the count is in section 0's sh_size": a reader that follows it trusts any count.
        byte[] image = TestObjects.Bytes(TestObjects.Multi);
        int shoff = (int)ElfImage.ReadU64(image, 40);
        image[60] = 0;
        image[61] = 0;
        ElfImage.WriteU64(image, shoff + ElfImage.ShSize, 0x7FFF_FFFF);

        (Exception? error, long allocated) = Parse(image);

        Assert.IsType<BpfObjectException>(error);
        Assert.InRange(allocated, 0, AllocationLimit);
    }
}
