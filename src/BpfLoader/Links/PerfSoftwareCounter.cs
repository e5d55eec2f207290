namespace BpfLoader.Links;

/// <summary>The kernel's software perf counters (enum perf_sw_ids) a perf_event program can sample on.</summary>
public enum PerfSoftwareCounter : ulong
{
    /// <summary>PERF_COUNT_SW_CPU_CLOCK: nanoseconds of a CPU's clock.</summary>
    CpuClock = 0,
    /// <summary>PERF_COUNT_SW_TASK_CLOCK: nanoseconds the task ran.</summary>
    TaskClock = 1,
    /// <summary>PERF_COUNT_SW_PAGE_FAULTS.</summary>
    PageFaults = 2,
    /// <summary>PERF_COUNT_SW_CONTEXT_SWITCHES.</summary>
    ContextSwitches = 3,
    /// <summary>PERF_COUNT_SW_CPU_MIGRATIONS.</summary>
    CpuMigrations = 4,
}
