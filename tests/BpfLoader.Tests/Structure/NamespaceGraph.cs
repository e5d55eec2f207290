using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace BpfLoader.Tests.Structure;

/// <summary>
/// Which namespace uses which, read from compiled assemblies' metadata rather than from <c>using</c>
/// lines: base types and interfaces, field, method, local and property signatures, attributes, and
/// every type, method and field token in method bodies' IL. Nested types (closures and state machines
/// included) count as their outermost type's namespace.
/// </summary>
internal sealed class NamespaceGraph
{
    /// <summary>"Assembly!Namespace" to "Assembly!Namespace", with one example "Type -> Type" for each edge.</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = new(StringComparer.Ordinal);

    /// <summary>Types of the assemblies read that declare P/Invoke methods or use DllImport/LibraryImport, as "Assembly!Type: what".</summary>
    public List<string> NativeInterop { get; } = [];

    /// <summary>Every type each assembly read refers to, by the referring assembly's name: "Namespace.Type".</summary>
    public Dictionary<string, HashSet<string>> ReferencedTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>Every assembly reference of each assembly read, by name.</summary>
    public Dictionary<string, List<string>> AssemblyReferences { get; } = new(StringComparer.Ordinal);

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>Adds the namespaces of the assembly at <paramref name="path"/> whose names start with <paramref name="prefix"/>, and what they use.</summary>
    public void Add(string path, string prefix)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader md = pe.GetMetadataReader();
        string self = md.GetString(md.GetAssemblyDefinition().Name);
        AssemblyReferences[self] = md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).ToList();
        foreach (TypeDefinitionHandle th in md.TypeDefinitions)
        {
            TypeDefinition type = md.GetTypeDefinition(th);
            (string ns, string typeName) = Outermost(md, th);
            if (!ns.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string from = self + "!" + ns;
            var uses = new List<(string Target, string What)>();
            void Use(EntityHandle h)
            {
                foreach ((string asm, string tns, string tname) in Targets(md, self, h))
                    uses.Add((asm + "!" + tns, tname));
            }

            if (!type.BaseType.IsNil) Use(type.BaseType);
            foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations()) Use(md.GetInterfaceImplementation(i).Interface);
            foreach (CustomAttributeHandle a in type.GetCustomAttributes()) Use(md.GetCustomAttribute(a).Constructor);
            foreach (GenericParameterHandle g in type.GetGenericParameters())
                foreach (GenericParameterConstraintHandle c in md.GetGenericParameter(g).GetConstraints())
                    Use(md.GetGenericParameterConstraint(c).Type);
            foreach (FieldDefinitionHandle fh in type.GetFields())
            {
                FieldDefinition field = md.GetFieldDefinition(fh);
                foreach (var t in SignatureTypes(md, self, field.Signature, SignatureKind.Field)) uses.Add(t);
                foreach (CustomAttributeHandle a in field.GetCustomAttributes()) Use(md.GetCustomAttribute(a).Constructor);
            }
            foreach (PropertyDefinitionHandle ph in type.GetProperties())
                foreach (var t in SignatureTypes(md, self, md.GetPropertyDefinition(ph).Signature, SignatureKind.Property)) uses.Add(t);
            foreach (MethodDefinitionHandle mh in type.GetMethods())
            {
                MethodDefinition method = md.GetMethodDefinition(mh);
                string methodName = typeName + "." + md.GetString(method.Name);
                if ((method.Attributes & MethodAttributes.PinvokeImpl) != 0)
                    NativeInterop.Add($"{self}!{methodName}: P/Invoke");
                foreach (var t in SignatureTypes(md, self, method.Signature, SignatureKind.Method)) uses.Add(t);
                foreach (CustomAttributeHandle a in method.GetCustomAttributes()) Use(md.GetCustomAttribute(a).Constructor);
                foreach (GenericParameterHandle g in method.GetGenericParameters())
                    foreach (GenericParameterConstraintHandle c in md.GetGenericParameter(g).GetConstraints())
                        Use(md.GetGenericParameterConstraint(c).Type);
                if (method.RelativeVirtualAddress == 0) continue;
                MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                    foreach (var t in SignatureTypes(md, self, md.GetStandaloneSignature(body.LocalSignature).Signature, SignatureKind.LocalVariables)) uses.Add(t);
                foreach (EntityHandle token in IlTokens(body.GetILBytes() ?? [])) Use(token);
            }

            if (!ReferencedTypes.TryGetValue(self, out var referenced)) ReferencedTypes[self] = referenced = new(StringComparer.Ordinal);
            foreach ((string target, string what) in uses)
            {
                referenced.Add(what);
                if (what.StartsWith("System.Runtime.InteropServices.DllImportAttribute", StringComparison.Ordinal)
                    || what.StartsWith("System.Runtime.InteropServices.LibraryImportAttribute", StringComparison.Ordinal))
                    NativeInterop.Add($"{self}!{typeName}: {what}");
                if (target == from) continue;
                if (!Edges.TryGetValue(from, out var to)) Edges[from] = to = new(StringComparer.Ordinal);
                to.TryAdd(target, $"{typeName} -> {what}");
            }
        }
    }

    /// <summary>The strongly connected components of more than one namespace among those whose key starts with <paramref name="prefix"/>: each a cycle.</summary>
    public List<List<string>> Cycles(Func<string, bool> include)
    {
        var nodes = Edges.Keys.Concat(Edges.Values.SelectMany(v => v.Keys)).Where(include).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        int next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (string w in Edges.GetValueOrDefault(v)?.Keys.Where(include).Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add(component.Order(StringComparer.Ordinal).ToList());
        }
        foreach (string n in nodes)
            if (!index.ContainsKey(n)) Visit(n);
        return result;
    }

    /// <summary>A cycle's edges inside it, each with the example that makes it, for a message one can act on.</summary>
    public string Describe(List<string> component)
    {
        var set = component.ToHashSet();
        return string.Join(Environment.NewLine, component.SelectMany(from =>
            (Edges.GetValueOrDefault(from) ?? []).Where(e => set.Contains(e.Key)).Select(e => $"  {from} -> {e.Key}   ({e.Value})")));
    }

    private static (string Namespace, string Name) Outermost(MetadataReader md, TypeDefinitionHandle h)
    {
        TypeDefinition t = md.GetTypeDefinition(h);
        string name = md.GetString(t.Name);
        while (t.IsNested)
        {
            t = md.GetTypeDefinition(t.GetDeclaringType());
            name = md.GetString(t.Name) + "+" + name;
        }
        string ns = md.GetString(t.Namespace);
        return (ns, ns.Length == 0 ? name : ns + "." + name);
    }

    private static (string Assembly, string Namespace, string Name) Outermost(MetadataReader md, string self, TypeReferenceHandle h)
    {
        TypeReference t = md.GetTypeReference(h);
        string name = md.GetString(t.Name);
        while (t.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            t = md.GetTypeReference((TypeReferenceHandle)t.ResolutionScope);
            name = md.GetString(t.Name) + "+" + name;
        }
        string asm = t.ResolutionScope.Kind == HandleKind.AssemblyReference
            ? md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)t.ResolutionScope).Name)
            : self;
        string ns = md.GetString(t.Namespace);
        return (asm, ns, ns.Length == 0 ? name : ns + "." + name);
    }

    private static IEnumerable<(string Assembly, string Namespace, string Name)> Targets(MetadataReader md, string self, EntityHandle h)
    {
        switch (h.Kind)
        {
            case HandleKind.TypeDefinition:
            {
                (string ns, string name) = Outermost(md, (TypeDefinitionHandle)h);
                yield return (self, ns, name);
                break;
            }
            case HandleKind.TypeReference:
                yield return Outermost(md, self, (TypeReferenceHandle)h);
                break;
            case HandleKind.TypeSpecification:
                foreach (var t in SignatureTypes(md, self, md.GetTypeSpecification((TypeSpecificationHandle)h).Signature, SignatureKind.Type))
                    yield return Split(t);
                break;
            case HandleKind.MethodDefinition:
                foreach (var t in Targets(md, self, md.GetMethodDefinition((MethodDefinitionHandle)h).GetDeclaringType())) yield return t;
                break;
            case HandleKind.FieldDefinition:
                foreach (var t in Targets(md, self, md.GetFieldDefinition((FieldDefinitionHandle)h).GetDeclaringType())) yield return t;
                break;
            case HandleKind.MemberReference:
            {
                MemberReference m = md.GetMemberReference((MemberReferenceHandle)h);
                foreach (var t in Targets(md, self, m.Parent)) yield return t;
                SignatureKind kind = m.GetKind() == MemberReferenceKind.Field ? SignatureKind.Field : SignatureKind.Method;
                foreach (var t in SignatureTypes(md, self, m.Signature, kind)) yield return Split(t);
                break;
            }
            case HandleKind.MethodSpecification:
            {
                MethodSpecification s = md.GetMethodSpecification((MethodSpecificationHandle)h);
                foreach (var t in Targets(md, self, s.Method)) yield return t;
                foreach (var t in SignatureTypes(md, self, s.Signature, SignatureKind.MethodSpecification)) yield return Split(t);
                break;
            }
            case HandleKind.StandaloneSignature:
            {
                StandaloneSignature s = md.GetStandaloneSignature((StandaloneSignatureHandle)h);
                SignatureKind kind = s.GetKind() == StandaloneSignatureKind.LocalVariables ? SignatureKind.LocalVariables : SignatureKind.Method;
                foreach (var t in SignatureTypes(md, self, s.Signature, kind)) yield return Split(t);
                break;
            }
        }
    }

    private static (string, string, string) Split((string Target, string What) t)
    {
        int bang = t.Target.IndexOf('!', StringComparison.Ordinal);
        return (t.Target[..bang], t.Target[(bang + 1)..], t.What);
    }

    private enum SignatureKind { Field, Method, Property, LocalVariables, Type, MethodSpecification }

    private static List<(string Target, string What)> SignatureTypes(MetadataReader md, string self, BlobHandle blob, SignatureKind kind)
    {
        var provider = new Collector(md, self);
        var decoder = new SignatureDecoder<int, object?>(provider, md, null);
        BlobReader r = md.GetBlobReader(blob);
        switch (kind)
        {
            case SignatureKind.Field: decoder.DecodeFieldSignature(ref r); break;
            case SignatureKind.Method: decoder.DecodeMethodSignature(ref r); break;
            case SignatureKind.Property: decoder.DecodeMethodSignature(ref r); break;
            case SignatureKind.LocalVariables: decoder.DecodeLocalSignature(ref r); break;
            case SignatureKind.Type: decoder.DecodeType(ref r); break;
            case SignatureKind.MethodSpecification: decoder.DecodeMethodSpecificationSignature(ref r); break;
        }
        return provider.Found;
    }

    /// <summary>The metadata tokens that IL instructions take as operands (types, methods, fields, signatures).</summary>
    private static IEnumerable<EntityHandle> IlTokens(byte[] il)
    {
        int at = 0;
        var tokens = new List<EntityHandle>();
        while (at < il.Length)
        {
            short value = il[at++];
            if (value == 0xFE) value = (short)(0xFE00 | il[at++]);
            if (!OpCodesByValue.TryGetValue(value, out OpCode op))
                throw new InvalidDataException($"unknown IL opcode 0x{value:x} at {at}");
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: at += 1; break;
                case OperandType.InlineVar: at += 2; break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR or OperandType.InlineString: at += 4; break;
                case OperandType.InlineI8 or OperandType.InlineR: at += 8; break;
                case OperandType.InlineSwitch: at += 4 + 4 * BitConverter.ToInt32(il, at); break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok or OperandType.InlineSig:
                    tokens.Add(MetadataTokens.EntityHandle(BitConverter.ToInt32(il, at)));
                    at += 4;
                    break;
                default: throw new InvalidDataException($"IL operand type {op.OperandType} at {at}");
            }
        }
        return tokens;
    }

    /// <summary>Collects every named type a signature mentions; the decoded "type" itself is unused.</summary>
    private sealed class Collector(MetadataReader md, string self) : ISignatureTypeProvider<int, object?>
    {
        public List<(string Target, string What)> Found { get; } = [];

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            (string ns, string name) = Outermost(md, handle);
            Found.Add((self + "!" + ns, name));
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind)
        {
            (string asm, string ns, string name) = Outermost(md, self, handle);
            Found.Add((asm + "!" + ns, name));
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            var inner = new SignatureDecoder<int, object?>(this, md, null);
            BlobReader r = md.GetBlobReader(md.GetTypeSpecification(handle).Signature);
            return inner.DecodeType(ref r);
        }

        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? genericContext, int index) => 0;
        public int GetGenericTypeParameter(object? genericContext, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
