namespace BpfLoader.Links;

/// <summary>Where an XDP program runs (XDP_FLAGS_* of &lt;linux/if_link.h&gt;).</summary>
#pragma warning disable CA1008 // the kernel's numbering: 0 is "no flag"
public enum XdpMode
{
    /// <summary>No flag: the driver's hook where it has one, else generic.</summary>
    Default = 0,
    /// <summary>XDP_FLAGS_SKB_MODE: generic XDP, after the skb is built (any interface).</summary>
    Generic = 1 << 1,
    /// <summary>XDP_FLAGS_DRV_MODE: the driver's own hook, or fail.</summary>
    Driver = 1 << 2,
    /// <summary>XDP_FLAGS_HW_MODE: offloaded to the NIC.</summary>
    Offload = 1 << 3,
}
