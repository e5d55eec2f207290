namespace BpfLoader.Object.Spec;

/// <summary>A global variable in a data section: which map holds it, where, how large.</summary>
public readonly record struct GlobalVariable(string Name, string MapName, int Offset, int Size);
