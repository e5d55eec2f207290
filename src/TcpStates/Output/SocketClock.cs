namespace TcpStates.Output;

/// <summary>
/// When each socket entered its state, for the MS column of records the kernel program leaves it to the reader
/// (<see cref="TcpStateEvent.DeltaByReader"/>: from the ring buffer, which delivers one socket's records in
/// order). As the program's own record did: a socket's first change seen has 0, a change to CLOSE forgets the
/// socket. An open-addressing table keyed by the socket's address, grown by doubling (the only allocation, and
/// only while more sockets are open at once than ever before) up to <see cref="MaxCapacity"/>; past that, a
/// new socket takes the place of one whose CLOSE never came (that one's next change then shows 0, as the
/// classic tracepoint's LRU map does). Each socket's last state is kept too: a change that does not start
/// from it follows one that never reached the reader (lost to a full ring, and reported), so when it began is
/// unknown and it shows 0, as a first change does, rather than the time of two states.
/// </summary>
public sealed class SocketClock
{
    /// <summary>Sockets tracked at most, at half load: 17 bytes each.</summary>
    public const int MaxCapacity = 1 << 18;
    private const int InitialCapacity = 1 << 10;
    private const int TcpClose = 7;

    private ulong[] _keys = new ulong[InitialCapacity];     // the socket's address; 0: free
    private ulong[] _times = new ulong[InitialCapacity];    // when it entered its state (ns)
    private byte[] _states = new byte[InitialCapacity];     // that state
    private int _count;

    /// <summary>Sockets tracked now.</summary>
    public int Count => _count;

    /// <summary>The time <paramref name="socket"/> spent in <paramref name="oldState"/>, in µs, given its change to
    /// <paramref name="newState"/> at <paramref name="timestampNs"/> (0 when unknown); remembers the change.</summary>
    public ulong Advance(ulong socket, ulong timestampNs, int oldState, int newState)
    {
        int mask = _keys.Length - 1;
        int i = Home(socket, mask);
        while (true)
        {
            ulong key = _keys[i];
            if (key == socket)
            {
                ulong since = _times[i];
                bool followsLastSeen = _states[i] == oldState;
                if (newState == TcpClose)
                {
                    Remove(i);
                }
                else
                {
                    _times[i] = timestampNs;
                    _states[i] = (byte)newState;
                }
                return followsLastSeen ? (timestampNs - since) / 1000 : 0;
            }
            if (key == 0)
                break;
            i = (i + 1) & mask;
        }
        if (newState != TcpClose && socket != 0)
            Add(socket, timestampNs, (byte)newState, i);
        return 0;
    }

    private void Add(ulong socket, ulong timestampNs, byte state, int free)
    {
        if ((_count + 1) * 2 > _keys.Length)
        {
            if (_keys.Length < MaxCapacity)
            {
                Grow();
                free = FreeSlot(socket);
            }
            else
            {
                // Full: the new socket takes its home slot's place (the probe chains through it stay whole).
                int home = Home(socket, _keys.Length - 1);
                _keys[home] = socket;
                _times[home] = timestampNs;
                _states[home] = state;
                return;
            }
        }
        _keys[free] = socket;
        _times[free] = timestampNs;
        _states[free] = state;
        _count++;
    }

    private int FreeSlot(ulong socket)
    {
        int mask = _keys.Length - 1;
        int i = Home(socket, mask);
        while (_keys[i] != 0)
            i = (i + 1) & mask;
        return i;
    }

    private void Grow()
    {
        ulong[] keys = _keys, times = _times;
        byte[] states = _states;
        _keys = new ulong[keys.Length * 2];
        _times = new ulong[keys.Length * 2];
        _states = new byte[keys.Length * 2];
        for (int j = 0; j < keys.Length; j++)
        {
            if (keys[j] == 0)
                continue;
            int i = FreeSlot(keys[j]);
            _keys[i] = keys[j];
            _times[i] = times[j];
            _states[i] = states[j];
        }
        // The tool allocates nothing while it traces, so no collection would ever come to free the old arrays: they
        // would stay resident with the new ones for as long as it runs. Growing is rare (the table only doubles).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Empties slot <paramref name="hole"/>, moving back the entries after it whose probe passed it.</summary>
    private void Remove(int hole)
    {
        int mask = _keys.Length - 1;
        int i = hole;
        while (true)
        {
            i = (i + 1) & mask;
            ulong key = _keys[i];
            if (key == 0)
                break;
            int home = Home(key, mask);
            // The entry at i may fill the hole when its home is not in (hole, i], cyclically.
            if (((i - home) & mask) >= ((i - hole) & mask))
            {
                _keys[hole] = key;
                _times[hole] = _times[i];
                _states[hole] = _states[i];
                hole = i;
            }
        }
        _keys[hole] = 0;
        _count--;
    }

    /// <summary>Socket addresses are aligned slab addresses: a multiplicative hash spreads their high bits.</summary>
    private static int Home(ulong socket, int mask) => (int)((socket * 0x9E3779B97F4A7C15UL) >> 40) & mask;
}
