using BpfLoader;
using BpfLoader.Object.Spec;
using BpfLoader.Programs;
using TcpStates.Tests.EndToEnd;

namespace TcpStates.Tests.Tracing;

/// <summary>
/// The marks that tell the nested tp_btf program whether the main one ran for a change (bpf/marks.h), run on their own
/// by BPF_PROG_TEST_RUN on one CPU: push is what the main program does for a change, take what the nested one does.
/// </summary>
public sealed class MarksTests
{
    private const int Cpu = 0;

    private static ulong Run(BpfProgram program, ulong socket, ulong states)
    {
        var context = new byte[16];
        BitConverter.TryWriteBytes(context.AsSpan(0, 8), socket);
        BitConverter.TryWriteBytes(context.AsSpan(8, 8), states);
        return program.TestRun(default, context: context, cpu: Cpu).ReturnValue;
    }

    [KernelFact]
    public void Changes_made_and_found_between_the_two_programs_runs_for_a_change_do_not_push_its_mark_off()
    {
        using Collection objects = Collection.Load(CollectionSpec.FromResource(typeof(MarksTests).Assembly, "marks_run.bpf.o"));
        BpfProgram push = objects.Programs["push"], take = objects.Programs["take"];

        // A task's change: the main program ran. Then a softirq's changes, more than there are marks, each traced by
        // both programs, before the nested program's turn comes for the task's change.
        Run(push, 0xa000, 1L << 32 | 2);
        for (ulong i = 1; i <= 6; i++)
        {
            Run(push, 0xb000 + i, 2L << 32 | 1);
            Assert.Equal(1UL, Run(take, 0xb000 + i, 2L << 32 | 1));
        }
        Assert.Equal(1UL, Run(take, 0xa000, 1L << 32 | 2));   // marked: not traced a second time

        // A change the main program was skipped for is not marked, and a mark is taken once.
        Assert.Equal(0UL, Run(take, 0xc000, 1L << 32 | 2));
        Assert.Equal(0UL, Run(take, 0xa000, 1L << 32 | 2));
    }

    [KernelFact]
    public void Marks_left_by_changes_the_nested_program_was_busy_for_give_way_to_newer_ones()
    {
        using Collection objects = Collection.Load(CollectionSpec.FromResource(typeof(MarksTests).Assembly, "marks_run.bpf.o"));
        BpfProgram push = objects.Programs["push"], take = objects.Programs["take"];

        // Changes the nested program never looked for (it was busy) stay marked, under the newer ones, until pushed off.
        for (ulong i = 1; i <= 4; i++)
            Run(push, 0xd000 + i, 3L << 32 | 4);
        Run(push, 0xe000, 1L << 32 | 2);
        Assert.Equal(1UL, Run(take, 0xe000, 1L << 32 | 2));
        Assert.Equal(0UL, Run(take, 0xd001, 3L << 32 | 4));   // the oldest fell off
        Assert.Equal(1UL, Run(take, 0xd004, 3L << 32 | 4));
    }
}
