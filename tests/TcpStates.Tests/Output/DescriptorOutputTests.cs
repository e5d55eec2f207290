using System.IO.Pipes;
using System.Runtime.InteropServices;
using TcpStates.Output;
using TcpStates.Posix;
using TcpStates.Tests.Cli;

namespace TcpStates.Tests.Output;

public sealed partial class DescriptorOutputTests
{
    [Fact]
    public void A_reader_that_went_away_closes_the_printer_quietly()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        pipe.DisposeLocalCopyOfClientHandle();
        using var output = new DescriptorOutput((int)pipe.SafePipeHandle.DangerousGetHandle(), CancellationToken.None);
        var printer = new EventPrinter(output, OutputFormat.Columns, false, false, TimeProvider.System);
        printer.WriteHeader();
        Assert.False(printer.Flush());
        Assert.Null(printer.WriteError);
    }

    [Fact]
    public void Writes_go_through_to_the_descriptor_at_once()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        using var output = new DescriptorOutput((int)pipe.SafePipeHandle.DangerousGetHandle(), CancellationToken.None);
        output.Write("live\n"u8);
        byte[] buffer = new byte[5];
        reader.ReadExactly(buffer); // arrives without a Flush or Dispose: nothing is held back
        Assert.Equal("live\n"u8.ToArray(), buffer);
    }

    [Fact]
    public void A_file_is_written_at_the_descriptors_offset_between_what_others_write()
    {
        // `{ tcpstates; echo done; } > f` and `tcpstates > f 2>&1`: one open file, one offset, shared.
        string path = Path.GetTempFileName();
        try
        {
            using (SafeFileHandleLease file = SafeFileHandleLease.Open(path, FileMode.Truncate))
            {
                RawWrite(file.Fd, "before\n"u8);
                using (var output = new DescriptorOutput(file.Fd, CancellationToken.None))
                    output.Write("events\n"u8);
                RawWrite(file.Fd, "done\n"u8);
            }
            Assert.Equal("before\nevents\ndone\n", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_full_device_is_a_write_error_that_names_ENOSPC()
    {
        using SafeFileHandleLease full = SafeFileHandleLease.Open("/dev/full");
        using var output = new DescriptorOutput(full.Fd, CancellationToken.None);
        var printer = new EventPrinter(output, OutputFormat.Columns, false, false, TimeProvider.System);
        printer.WriteHeader();
        Assert.False(printer.Flush());
        SystemError error = Assert.IsType<SystemError>(printer.WriteError);
        Assert.Equal(SystemError.ENOSPC, error.Errno);
        Assert.Equal("write to standard output: ENOSPC (No space left on device)", error.Message);
    }

    [Fact]
    public void A_stop_ends_a_write_that_waits_for_a_reader_who_does_not_read()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);  // open, never read
        using var stop = new CancellationTokenSource();
        using var output = new DescriptorOutput((int)pipe.SafePipeHandle.DangerousGetHandle(), stop.Token);
        Exception? thrown = null;
        var writer = new Thread(() =>
        {
            try { output.Write(new byte[4 << 20]); }
            catch (Exception ex) { thrown = ex; }
        });
        writer.Start();
        // The writer blocks once the pipe is full; the stop must release it (a hang guard, not a timing check).
        Thread.Sleep(100);
        stop.Cancel();
        Assert.True(writer.Join(TimeSpan.FromSeconds(60)), "the write did not give way to the stop");
        Assert.IsType<OutputStalledException>(thrown);
    }

    [Fact]
    public void A_pipe_with_room_takes_a_whole_buffer_in_one_write()
    {
        // Not PIPE_BUF at a time with a poll before each: at the fastest churn those calls cost the tool more CPU
        // on a pipe than on a file. (One write where the kernel has RWF_NOWAIT for pipes, 6.4 on.)
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        int fd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        PipeCapacity.Grow(fd);   // as the tool grows its stdout
        Assert.True(Libc.Fcntl(fd, Libc.FGetPipeSz, 0) >= 1 << 20, "the pipe did not grow to 1 MiB");
        using var output = new DescriptorOutput(fd, CancellationToken.None);
        byte[] rows = Rows(64 * 1024);

        output.Write(rows);

        if (Environment.OSVersion.Version >= new Version(6, 4))   // from uname(2)
            Assert.Equal(1, output.WriteCalls);
        byte[] read = new byte[rows.Length];
        reader.ReadExactly(read);
        Assert.Equal(rows, read);
    }

    [Fact]
    public void A_buffer_larger_than_the_pipe_goes_out_whole_and_in_order_as_the_reader_reads()
    {
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        using var output = new DescriptorOutput((int)pipe.SafePipeHandle.DangerousGetHandle(), CancellationToken.None);
        byte[] rows = Rows(3 << 20);
        byte[] read = new byte[rows.Length];
        var consumer = new Thread(() =>
        {
            // A slow reader: small reads, so the pipe fills and the writer waits for room again and again.
            for (int at = 0; at < read.Length;)
                at += reader.Read(read, at, Math.Min(7000, read.Length - at));
        });
        consumer.Start();

        output.Write(rows);

        Assert.True(consumer.Join(TimeSpan.FromSeconds(60)), "the reader did not get everything");
        Assert.Equal(rows, read);
    }

    private static byte[] Rows(int length)
    {
        byte[] rows = new byte[length];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = (byte)(i % 97 == 96 ? '\n' : 'a' + i % 26);
        return rows;
    }

    private static unsafe void RawWrite(int fd, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
            Assert.Equal(bytes.Length, (int)Write(fd, p, (nuint)bytes.Length));
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nuint count);
}
