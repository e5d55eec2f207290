namespace BpfLoader.Links;

/// <summary>Which tcx hook of an interface.</summary>
public enum TcxDirection
{
    /// <summary>Packets received (BPF_TCX_INGRESS).</summary>
    Ingress,
    /// <summary>Packets sent (BPF_TCX_EGRESS).</summary>
    Egress,
}
