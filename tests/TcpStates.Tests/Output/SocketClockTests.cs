using System.Reflection;
using System.Text;
using TcpStates.Output;

namespace TcpStates.Tests.Output;

public class SocketClockTests
{
    private const int Close = 7, Established = 1, SynSent = 2, FinWait1 = 4, FinWait2 = 5;

    [Fact]
    public void The_first_change_of_a_socket_has_0_the_next_the_time_since_and_CLOSE_forgets_it()
    {
        var clock = new SocketClock();
        Assert.Equal(0UL, clock.Advance(0xffff888100000000, 1_000_000, Close, SynSent));
        Assert.Equal(1500UL, clock.Advance(0xffff888100000000, 2_500_000, SynSent, Established));
        Assert.Equal(7UL, clock.Advance(0xffff888100000000, 2_507_999, Established, Close));
        Assert.Equal(0, clock.Count);
        // The same address again (a new socket in the freed memory): a first change.
        Assert.Equal(0UL, clock.Advance(0xffff888100000000, 9_000_000, Close, SynSent));
    }

    [Fact]
    public void A_change_that_does_not_start_from_the_last_state_seen_has_0_and_the_next_one_counts_again()
    {
        var clock = new SocketClock();
        Assert.Equal(0UL, clock.Advance(0xffff888100000000, 1_000_000, Close, SynSent));
        // SYN_SENT -> ESTABLISHED was lost to a full ring: ESTABLISHED -> FIN_WAIT1 began at an unknown time.
        Assert.Equal(0UL, clock.Advance(0xffff888100000000, 5_000_000, Established, FinWait1));
        Assert.Equal(2000UL, clock.Advance(0xffff888100000000, 7_000_000, FinWait1, FinWait2));
        // Likewise a socket whose CLOSE was lost, its address reused by a new socket.
        Assert.Equal(0UL, clock.Advance(0xffff888100000000, 9_000_000, Close, SynSent));
    }

    /// <summary>Against a dictionary: sockets of slab-like addresses opened, changed and closed in random order, more
    /// at once than the first table holds (it grows), closes that shift probe chains back.</summary>
    [Fact]
    public void Random_opens_changes_and_closes_agree_with_a_dictionary()
    {
        var random = new Random(42);
        var clock = new SocketClock();
        var expected = new Dictionary<ulong, ulong>();
        var states = new Dictionary<ulong, int>();
        var open = new List<ulong>();
        ulong now = 1_000_000_000;
        for (int step = 0; step < 400_000; step++)
        {
            now += (ulong)random.Next(1, 5000);
            ulong socket;
            int state;
            int choice = random.Next(10);
            if (open.Count < 20_000 && (choice < 4 || open.Count == 0))
            {
                socket = 0xffff888000000000UL + (ulong)random.Next(1 << 24) * 0x800;
                state = SynSent;
            }
            else
            {
                int index = random.Next(open.Count);
                socket = open[index];
                state = choice < 7 ? Close : Established;
            }
            ulong want = expected.TryGetValue(socket, out ulong since) ? (now - since) / 1000 : 0;
            int oldState = states.GetValueOrDefault(socket, Close);
            if (state == Close)
            {
                expected.Remove(socket);
                states.Remove(socket);
            }
            else
            {
                expected[socket] = now;
                states[socket] = state;
            }
            Assert.Equal(want, clock.Advance(socket, now, oldState, state));
            open.Clear();
            if (step % 1000 == 0 || open.Count == 0)
                open.AddRange(expected.Keys);
            else
                open.AddRange(expected.Keys.Take(1));
        }
        Assert.Equal(expected.Count, clock.Count);
    }

    [Fact]
    public void Growing_leaves_no_old_table_behind_for_a_collection_that_would_never_come()
    {
        var clock = new SocketClock();
        WeakReference first = TableOf(clock);

        for (ulong socket = 1; socket <= 5000; socket++)   // past the first table's half: it grows, several times
            clock.Advance(socket * 64, socket, 7, 2);

        Assert.Equal(5000, clock.Count);
        Assert.False(first.IsAlive, "the first table is still on the heap");
    }

    // Not inlined: no reference to the table may outlive this frame in a local the JIT keeps.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference TableOf(SocketClock clock) =>
        new(typeof(SocketClock).GetField("_keys", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(clock));

    [Fact]
    public void Past_its_capacity_a_new_socket_takes_an_old_ones_place_and_nothing_grows()
    {
        var clock = new SocketClock();
        int sockets = SocketClock.MaxCapacity;   // twice what half load allows
        for (int i = 0; i < sockets; i++)
            clock.Advance(0xffff888000000000UL + (ulong)i * 0x800, 1_000, Close, SynSent);
        Assert.Equal(SocketClock.MaxCapacity / 2, clock.Count);
        // The newest is tracked: its next change has the time since.
        ulong last = 0xffff888000000000UL + (ulong)(sockets - 1) * 0x800;
        Assert.Equal(1UL, clock.Advance(last, 2_000, SynSent, Established));
    }

    [Fact]
    public void A_record_whose_time_in_state_is_left_to_the_reader_prints_it_from_the_timestamps()
    {
        var output = new MemoryStream();
        var printer = new EventPrinter(output, OutputFormat.Csv, false, false, TimeProvider.System);
        var sink = new EventOutput(printer, journal: null, TextWriter.Null);
        TcpStateEvent e = EventFactory.Create(oldState: 7, newState: SynSent, timestampUs: 1_000_000);
        e.DeltaUs = TcpStateEvent.DeltaByReader;
        sink.OnEvent(EventFactory.ToBytes(e));
        e.OldState = SynSent;
        e.NewState = Established;
        e.TimestampUs = 1_001_373;
        sink.OnEvent(EventFactory.ToBytes(e));
        sink.Flush();
        string[] lines = Encoding.UTF8.GetString(output.ToArray()).TrimEnd('\n').Split('\n');
        Assert.Equal(["0.000", "1.373"], lines.Select(l => l.Split(',')[^1]));
    }
}
