namespace BpfLoader.Object.Spec;

/// <summary>An instruction that refers to a <c>__ksym</c> extern: a kfunc call, or a ld_imm64 of a kernel variable's address.</summary>
/// <param name="Instruction">The instruction's slot in the linked program.</param>
/// <param name="Name">The extern's name, a key of <see cref="CollectionSpec.Externs"/>.</param>
public readonly record struct ExternReference(int Instruction, string Name);
