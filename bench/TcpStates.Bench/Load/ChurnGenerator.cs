using System.Diagnostics;
using TcpStates.Bench.Interop;
using TcpStates.Bench.Measurement;

namespace TcpStates.Bench.Load;

/// <summary>
/// The workload: a loopback listener whose acceptors read until the peer is done and close, and
/// client workers that connect and close as fast as they can. Plain blocking libc calls on
/// dedicated threads, so that the workload spends its CPU in the kernel's TCP code, not in ours.
/// </summary>
/// <remarks>
/// Over IPv4 the clients take their source address in turn from <see cref="SourceAddresses"/> addresses of 127/8
/// (the port is still the kernel's choice at connect). From one address to one listener, the kernel's search for a
/// free port walks past every port whose TIME_WAIT is younger than the second it must wait to reuse it: past ~14,000
/// connections a second, most of the load's CPU went to that search, and its pace fell by 3× depending on where the
/// search began. Each source address has a range of ports of its own.
/// </remarks>
internal sealed unsafe class ChurnGenerator(ChurnOptions options)
{
    /// <summary>IPv4 source addresses, 127.0.0.2 on: at the fastest churn here, each keeps few young TIME_WAITs.</summary>
    public const int SourceAddresses = 32;

    private int _claimed;
    private int _connected;
    private int _accepted;
    private int _failures;
    private string? _firstError;
    private volatile bool _stopping;

    public ChurnResult Run()
    {
        var listenAddress = new LoopbackAddress(options.IPv6, 0);
        int listener = OpenListener(listenAddress, out int port);
        var target = new LoopbackAddress(options.IPv6, port);

        var acceptors = StartThreads(options.Workers, _ => AcceptLoop(listener));
        MachineCounters machineBefore = MachineCounters.Read();
        TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        var clients = StartThreads(options.Workers, worker => ClientLoop(target, deadline, worker, start));
        foreach (var t in clients)
            t.Join();

        // Every connection the clients made must be closed by the server too before the end is
        // taken, or the server-side state changes would fall outside the measured window.
        var settle = Stopwatch.StartNew();
        while (Volatile.Read(ref _accepted) < Volatile.Read(ref _connected) && settle.Elapsed < TimeSpan.FromSeconds(10))
            Thread.Sleep(1);
        long end = Stopwatch.GetTimestamp();
        TimeSpan cpuAfter = Environment.CpuUsage.TotalTime;
        MachineCounters machine = MachineCounters.Read() - machineBefore;

        _stopping = true;
        Native.Shutdown(listener, Native.ShutRdWr);   // wakes the acceptors blocked in accept()
        foreach (var t in acceptors)
            t.Join();
        Native.Close(listener);

        long elapsedNs = (long)((end - start) * (1e9 / Stopwatch.Frequency));
        return new ChurnResult(port, _connected, _failures, elapsedNs, _firstError)
        {
            CpuNs = (long)(cpuAfter - cpuBefore).TotalNanoseconds,
            Machine = machine,
        };
    }

    private static Thread[] StartThreads(int count, Action<int> body)
    {
        var threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            threads[i] = new Thread(() => body(index)) { IsBackground = true };
            threads[i].Start();
        }
        return threads;
    }

    private static int OpenListener(LoopbackAddress address, out int port)
    {
        int fd = Native.Socket(address.Family, Native.SockStream | Native.SockCloexec, 0);
        if (fd < 0)
            throw new NativeCallException("socket", Native.LastErrno);
        int one = 1;
        Native.SetSockOpt(fd, Native.SolSocket, Native.SoReuseAddr, &one, sizeof(int));
        fixed (byte* sa = address.Bytes)
        {
            if (Native.Bind(fd, sa, address.Bytes.Length) < 0)
                throw new NativeCallException("bind", Native.LastErrno);
        }
        if (Native.Listen(fd, 4096) < 0)
            throw new NativeCallException("listen", Native.LastErrno);
        byte* bound = stackalloc byte[28];
        int len = 28;
        if (Native.GetSockName(fd, bound, &len) < 0)
            throw new NativeCallException("getsockname", Native.LastErrno);
        port = LoopbackAddress.PortOf(new ReadOnlySpan<byte>(bound, len));
        return fd;
    }

    private void ClientLoop(LoopbackAddress target, long deadline, int worker, long start)
    {
        bool reset = options.Mode == CloseMode.Reset;
        int paceMs = (int)options.Pace.TotalMilliseconds;
        var schedule = new PacedSchedule(options.Rate, options.Workers);
        long made = 0;
        var linger = stackalloc int[2] { 1, 0 };   // struct linger { l_onoff = 1, l_linger = 0 }: close sends RST
        ReadOnlySpan<byte> address = target.Bytes;
        byte[][] sources = target.IPv6 ? [] : SourceAddressBytes();
        int one = 1;
        fixed (byte* sa = address)
        {
            int claimed;
            while ((claimed = Interlocked.Increment(ref _claimed)) <= options.Count && Stopwatch.GetTimestamp() < deadline)
            {
                if (options.Rate > 0)
                    SleepUntil(start + (long)(schedule.DueSeconds(worker, made++) * Stopwatch.Frequency));
                int fd = Native.Socket(target.Family, Native.SockStream | Native.SockCloexec, 0);
                if (fd < 0)
                {
                    Fail("socket", Native.LastErrno);
                    continue;
                }
                if (reset)
                    Native.SetSockOpt(fd, Native.SolSocket, Native.SoLinger, linger, 2 * sizeof(int));
                if (sources.Length > 0 && !BindSource(fd, sources[claimed % sources.Length], &one))
                {
                    Native.Close(fd);
                    continue;
                }
                if (Native.Connect(fd, sa, address.Length) == 0)
                    Interlocked.Increment(ref _connected);
                else
                    Fail("connect", Native.LastErrno);
                Native.Close(fd);
                if (paceMs > 0)
                    Thread.Sleep(paceMs);
            }
        }
    }

    private static byte[][] SourceAddressBytes()
    {
        var sources = new byte[SourceAddresses][];
        for (int i = 0; i < SourceAddresses; i++)
            sources[i] = new LoopbackAddress(false, 0, (byte)(2 + i)).Bytes.ToArray();
        return sources;
    }

    /// <summary>The source address, its port left to connect (IP_BIND_ADDRESS_NO_PORT: a port bound now would be
    /// chosen without the destination, from the ports no socket holds at all).</summary>
    private bool BindSource(int fd, byte[] source, int* one)
    {
        if (Native.SetSockOpt(fd, Native.IpProtoIp, Native.IpBindAddressNoPort, one, sizeof(int)) < 0)
        {
            Fail("setsockopt", Native.LastErrno);
            return false;
        }
        fixed (byte* src = source)
        {
            if (Native.Bind(fd, src, source.Length) < 0)
            {
                Fail("bind", Native.LastErrno);
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Sleeps to an absolute point of the monotonic clock (Stopwatch's clock on Linux): no spinning,
    /// whose CPU would be taken from the tracer being measured on a small machine.
    /// </summary>
    private static void SleepUntil(long timestamp)
    {
        long ns = (long)(timestamp * (1e9 / Stopwatch.Frequency));
        var due = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
        while (Native.ClockNanosleep(Native.ClockMonotonic, Native.TimerAbsTime, &due, null) == Native.EIntr)
        {
        }
    }

    private void AcceptLoop(int listener)
    {
        byte* buffer = stackalloc byte[64];
        while (true)
        {
            int fd = Native.Accept4(listener, null, null, Native.SockCloexec);
            if (fd < 0)
            {
                int errno = Native.LastErrno;
                if (_stopping)
                    return;
                if (errno is not (Native.EIntr or Native.EConnAborted or Native.EAgain))
                    Fail("accept4", errno);
                continue;
            }
            // Wait for the client's FIN (recv returns 0) or RST (ECONNRESET), so the server always
            // closes second and each connection goes through the same states.
            nint n;
            do
                n = Native.Recv(fd, buffer, 64, 0);
            while (n > 0 || (n < 0 && Native.LastErrno == Native.EIntr));
            Native.Close(fd);
            Interlocked.Increment(ref _accepted);
        }
    }

    private void Fail(string operation, int errno)
    {
        Interlocked.Increment(ref _failures);
        Interlocked.CompareExchange(ref _firstError, $"{operation}:{errno}", null);
    }
}
