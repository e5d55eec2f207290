// attach-check: loads and attaches, each in turn, a kprobe, kretprobe, uprobe, uretprobe, fentry, fexit and
// LSM program (attach.bpf.c), makes the kernel run each hook a known number of times from one thread, and
// prints one line per attach type: "attach: PASS TYPE: ...", "attach: FAIL TYPE: why" or, where the
// kernel has no such hook at all, "attach: SKIP TYPE: why". Exits 1 when any type failed.
//   attach-check [--no-trigger]
// --no-trigger attaches everything but calls nothing: every type must then FAIL for want of hits (the
// kernel matrix runs it so to prove that a PASS comes from the trigger, not from other work).
using AttachCheck;

bool trigger = true;
if (args is ["--no-trigger"]) trigger = false;
else if (args.Length != 0)
{
    Console.Error.WriteLine("usage: attach-check [--no-trigger]");
    return 2;
}

int failed = 0;
foreach (AttachCase c in AttachCase.All)
{
    Verdict v;
    try
    {
        v = c.Run(trigger);
    }
#pragma warning disable CA1031 // one line per type whatever goes wrong in one, so the others are still checked
    catch (Exception e)
#pragma warning restore CA1031
    {
        v = new(Outcome.Fail, $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" / "));
    }
    Console.WriteLine($"attach: {v.Outcome.ToString().ToUpperInvariant()} {c.Name}: {v.Text}");
    if (v.Outcome == Outcome.Fail) failed++;
}
return failed == 0 ? 0 : 1;
