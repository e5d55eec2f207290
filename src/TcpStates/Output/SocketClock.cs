namespace TcpStates.Output;

/// <summary>
/// When each socket entered its state, for the MS column of records the kernel program leaves it to the reader
/// (<see cref="TcpStateEvent.DeltaByReader"/>: from the ring buffer, which delivers one socket's records in
/// order). As the program's own record did: a socket's first change seen has 0, a change to CLOSE forgets the
/// socket. An open-addressing table keyed by the socket's address, grown by doubling (the only allocation, and
/// only while more sockets are open at once than ever before) up to <see cref="MaxCapacity"/>; past that, a
/// new socket takes the place of one whose CLOSE never came (that one's next change then shows 0, as the
/// classic tracepoint's LRU map does). A change lost to a full ring (reported) is not seen here: that socket's
/// next change shows the time since the change before it.
/// </summary>
public sealed class SocketClock
{
    /// <summary>Sockets tracked at most, at half load: 16 bytes each.</summary>
    public const int MaxCapacity = 1 << 18;
    private const int InitialCapacity = 1 << 10;
    private const int TcpClose = 7;

    private ulong[] _keys = new ulong[InitialCapacity];     // the socket's address; 0: free
    private ulong[] _times = new ulong[InitialCapacity];    // when it entered its state (ns)
    private int _count;

    /// <summary>Sockets tracked now.</summary>
    public int Count => _count;

    /// <summary>The time <paramref name="socket"/> spent in its old state, in µs, given its change to
    /// <paramref name="newState"/> at <paramref name="timestampNs"/>; remembers the change.</summary>
    public ulong Advance(ulong socket, ulong timestampNs, int newState)
    {
        int mask = _keys.Length - 1;
        int i = Home(socket, mask);
        while (true)
        {
            ulong key = _keys[i];
            if (key == socket)
            {
                ulong since = _times[i];
                if (newState == TcpClose)
                    Remove(i);
                else
                    _times[i] = timestampNs;
                return (timestampNs - since) / 1000;
            }
            if (key == 0)
                break;
            i = (i + 1) & mask;
        }
        if (newState != TcpClose && socket != 0)
            Add(socket, timestampNs, i);
        return 0;
    }

    private void Add(ulong socket, ulong timestampNs, int free)
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
                return;
            }
        }
        _keys[free] = socket;
        _times[free] = timestampNs;
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
        _keys = new ulong[keys.Length * 2];
        _times = new ulong[keys.Length * 2];
        for (int j = 0; j < keys.Length; j++)
        {
            if (keys[j] == 0)
                continue;
            int i = FreeSlot(keys[j]);
            _keys[i] = keys[j];
            _times[i] = times[j];
        }
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
                hole = i;
            }
        }
        _keys[hole] = 0;
        _count--;
    }

    /// <summary>Socket addresses are aligned slab addresses: a multiplicative hash spreads their high bits.</summary>
    private static int Home(ulong socket, int mask) => (int)((socket * 0x9E3779B97F4A7C15UL) >> 40) & mask;
}
