namespace BpfLoader.Links;

/// <summary>What BPF_OBJ_GET_INFO_BY_FD says about a link.</summary>
/// <param name="Id">The link's id, for <see cref="Pinning.BpfPins.OpenLink(uint)"/>.</param>
/// <param name="Type">enum bpf_link_type: 1 raw tracepoint, 2 tracing, 3 cgroup, 4 iterator, 6 XDP, 7 perf event, 13 tcx, ...</param>
/// <param name="ProgramId">The id of the attached program.</param>
public readonly record struct BpfLinkInfo(uint Id, uint Type, uint ProgramId);
