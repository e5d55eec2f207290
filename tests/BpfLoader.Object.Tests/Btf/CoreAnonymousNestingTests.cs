using BpfLoader.Object;
using BpfLoader.Object.Btf;

namespace BpfLoader.Object.Tests.Btf;

/// <summary>
/// A field found only after a chain of anonymous members, each holding the next level twice: a search
/// that re-walks what it already searched visits 2^levels members (issue 13, item 7).
/// </summary>
public class CoreAnonymousNestingTests
{
    /// <summary>
    /// Target: <c>struct outer { union { union { ... { int other; } ... } a, b; } a, b; int wanted; }</c>, with
    /// <paramref name="levels"/> levels of anonymous unions of two members; local: <c>struct outer { int wanted; }</c>.
    /// </summary>
    private static (BtfSpec Local, BtfSpec Target) Build(int levels)
    {
        var local = new BtfBuilder();
        int localInt = local.Int("int", 4, signed: true);
        local.Composite(BtfKind.Struct, "outer", 4, ("wanted", localInt, 0));

        var target = new BtfBuilder();
        int targetInt = target.Int("int", 4, signed: true);
        int inner = target.Composite(BtfKind.Struct, "", 4, ("other", targetInt, 0));
        for (int i = 0; i < levels; i++)
            inner = target.Composite(BtfKind.Union, "", 4, ("", inner, 0), ("", inner, 0));
        target.Composite(BtfKind.Struct, "outer", 8, ("", inner, 0), ("wanted", targetInt, 32));
        return (local.Build(), target.Build());
    }

    private static readonly CoreRelocation WantedOffset = new(0, 2, "0:0", CoreRelocationKind.FieldByteOffset);

    [Fact]
    public void A_field_behind_60_levels_of_doubled_anonymous_members_is_found()
    {
        // 60: as deep as libbpf's 64 accessors allow (root, outer member, 60 levels, the innermost member).
        (BtfSpec local, BtfSpec target) = Build(60);
        var relocator = new CoreRelocator(local, target);

        var result = relocator.Calculate(WantedOffset, "deep");

        Assert.False(result.Poison);
        Assert.Equal(0UL, result.OriginalValue);
        Assert.Equal(4UL, result.NewValue);
    }

    [Fact]
    public void The_search_visits_each_anonymous_member_at_most_once()
    {
        const int levels = 20;
        (BtfSpec local, BtfSpec target) = Build(levels);
        var relocator = new CoreRelocator(local, target);

        var result = relocator.Calculate(WantedOffset, "deep");

        Assert.Equal(4UL, result.NewValue);
        // Two members per level, the innermost struct's one, the outer struct's two: linear, not 2^levels.
        Assert.InRange(relocator.MembersVisited, 1, 2 * levels + 3);
    }

    [Fact]
    public void Anonymous_members_nested_past_the_bound_are_refused_not_recursed_into()
    {
        (BtfSpec local, BtfSpec target) = Build(CoreRelocator.MaxSpecLength + 2);
        var relocator = new CoreRelocator(local, target);

        var e = Assert.Throws<CoreRelocationException>(() => relocator.Calculate(WantedOffset, "deep"));
        Assert.Contains("anonymous members", e.Message, StringComparison.Ordinal);
    }
}
