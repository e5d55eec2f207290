using BpfLoader;
using BpfLoader.Object.Spec;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Tracing;

/// <summary>
/// The marks that tell the nested tp_btf program whether the main one ran for a change (bpf/marks.h), run on their own
/// by BPF_PROG_TEST_RUN on one CPU: push is what the main program does for a change, take what the nested one does.
/// </summary>
public sealed class MarksTests
{
    /// <summary>More changes than bpf/marks.h has marks (MARKS, 1024).</summary>
    private const ulong MoreThanMarks = 1100;

    /// <summary>marks_run.bpf.o loaded: each method runs one of its programs on CPU 0 for a change (socket, states).</summary>
    private sealed class MarksRun : IDisposable
    {
        private const int Cpu = 0;
        private readonly Collection _objects =
            Collection.Load(CollectionSpec.FromResource(typeof(MarksTests).Assembly, "marks_run.bpf.o"));

        /// <summary>What the main program does first.</summary>
        public void Push(ulong socket, ulong states) => Run("push", socket, states);

        /// <summary>What the nested program does around its work: 1 marked, 0 to trace, 2 found itself running.</summary>
        public ulong Take(ulong socket, ulong states) => Run("take", socket, states);

        /// <summary>The nested program's first step alone: 1 when it entered.</summary>
        public ulong Begin() => Run("nested_begin", 0, 0);

        /// <summary>The rest of the run <see cref="Begin"/> started: 1 marked.</summary>
        public ulong End(ulong socket, ulong states) => Run("nested_end", socket, states);

        public void Dispose() => _objects.Dispose();

        private ulong Run(string program, ulong socket, ulong states)
        {
            var context = new byte[16];
            BitConverter.TryWriteBytes(context.AsSpan(0, 8), socket);
            BitConverter.TryWriteBytes(context.AsSpan(8, 8), states);
            return _objects.Programs[program].TestRun(default, context: context, cpu: Cpu).ReturnValue;
        }
    }

    [KernelFact]
    public void Changes_made_and_found_between_the_two_programs_runs_for_a_change_do_not_push_its_mark_off()
    {
        using var marks = new MarksRun();

        // A task's change: the main program ran. Then a softirq's changes, more than there are marks, each traced by
        // both programs, before the nested program's turn comes for the task's change.
        marks.Push(0xa000, 1L << 32 | 2);
        for (ulong i = 1; i <= MoreThanMarks; i++)
        {
            marks.Push(0xb000 + i, 2L << 32 | 1);
            Assert.Equal(1UL, marks.Take(0xb000 + i, 2L << 32 | 1));
        }
        Assert.Equal(1UL, marks.Take(0xa000, 1L << 32 | 2));   // marked: not traced a second time

        // A change the main program was skipped for is not marked, and a mark is taken once.
        Assert.Equal(0UL, marks.Take(0xc000, 1L << 32 | 2));
        Assert.Equal(0UL, marks.Take(0xa000, 1L << 32 | 2));
    }

    [KernelFact]
    public void A_softirqs_changes_while_the_nested_program_runs_do_not_push_the_change_it_looks_for_off()
    {
        using var marks = new MarksRun();

        // A task's change: the main program ran; the nested one starts, and a softirq interrupts it with more changes
        // than there are marks. The kernel runs the main program for each and skips the nested one (it is running).
        marks.Push(0xa000, 1L << 32 | 2);
        Assert.Equal(1UL, marks.Begin());
        for (ulong i = 1; i <= MoreThanMarks; i++)
            marks.Push(0xb000 + i, 2L << 32 | 1);
        Assert.Equal(1UL, marks.End(0xa000, 1L << 32 | 2));   // still marked: not traced a second time

        // The softirq's changes left no marks, and the nested program runs again for the next change.
        Assert.Equal(0UL, marks.Take(0xb000 + MoreThanMarks, 2L << 32 | 1));
        marks.Push(0xc000, 1L << 32 | 2);
        Assert.Equal(1UL, marks.Take(0xc000, 1L << 32 | 2));
    }

    [KernelFact]
    public void A_nested_program_run_inside_itself_catches_nothing()
    {
        using var marks = new MarksRun();

        // A kernel without the recursion check runs every program for an interrupt's change, the nested one inside
        // its own run: the main program ran for that change, so there is nothing to trace.
        marks.Push(0xa000, 1L << 32 | 2);
        Assert.Equal(1UL, marks.Begin());
        marks.Push(0xb000, 2L << 32 | 1);
        Assert.Equal(2UL, marks.Take(0xb000, 2L << 32 | 1));
        Assert.Equal(1UL, marks.End(0xa000, 1L << 32 | 2));
    }

    [KernelFact]
    public void A_softirqs_changes_before_the_nested_program_says_it_runs_do_not_push_the_change_it_looks_for_off()
    {
        using var marks = new MarksRun();

        // A task's change: the main program ran; the nested one starts, and before it can say it runs a softirq comes
        // with many changes (a socket's two at a time): the main program marks each, the nested one is skipped.
        marks.Push(0xa000, 1L << 32 | 2);
        for (ulong i = 1; i <= 100; i++)
        {
            marks.Push(0xb000 + i, 4L << 32 | 5);
            marks.Push(0xb000 + i, 5L << 32 | 7);
        }
        Assert.Equal(1UL, marks.Take(0xa000, 1L << 32 | 2));   // still marked: not traced a second time
        Assert.Equal(0UL, marks.Take(0xa000, 1L << 32 | 2));   // taken once
        Assert.Equal(0UL, marks.Take(0xb064, 5L << 32 | 7));   // the softirq's marks went with it
    }

    [KernelFact]
    public void A_found_change_takes_off_the_marks_above_it_and_all_below_it_but_the_next()
    {
        using var marks = new MarksRun();

        // Two marks no one took, a task's change, a softirq's change come between the task's two programs, and a
        // mark no one took above it.
        marks.Push(0xd001, 3L << 32 | 4);
        marks.Push(0xd002, 3L << 32 | 4);
        marks.Push(0xa000, 1L << 32 | 2);
        marks.Push(0xb000, 2L << 32 | 1);
        marks.Push(0xd003, 3L << 32 | 4);
        Assert.Equal(1UL, marks.Take(0xb000, 2L << 32 | 1));
        Assert.Equal(0UL, marks.Take(0xd003, 3L << 32 | 4));   // above: gone
        Assert.Equal(0UL, marks.Take(0xd002, 3L << 32 | 4));   // below the next: gone
        Assert.Equal(1UL, marks.Take(0xa000, 1L << 32 | 2));   // the next: still looked for
        Assert.Equal(0UL, marks.Take(0xd001, 3L << 32 | 4));
    }
}
