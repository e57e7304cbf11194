using System.Runtime.InteropServices;
using Rotoscope.Core.Inference;

namespace Rotoscope.Core.Tests.Inference;

/// <summary>The pool of page-locked blocks, over ordinary native memory that counts what is allocated and freed.</summary>
public sealed class PinnedMemoryTests
{
    [Fact]
    public void TryRent_ReusesAGivenBackBlockThatIsLargeEnough_AndAllocatesOtherwise()
    {
        var native = new CountingAllocator();
        using var memory = new PinnedMemory(native.Allocate, native.Free);

        using (var first = memory.TryRent(1000)!)
        {
            Assert.Equal(1000, first.Memory.Length);
            first.Memory.Span.Fill(7f);
        }

        using var smaller = memory.TryRent(600)!;
        using var larger = memory.TryRent(2000)!;

        Assert.Equal(600, smaller.Memory.Length);
        Assert.Equal(7f, smaller.Memory.Span[599]); // the same block: its contents are still there
        Assert.Equal(2, native.Allocations);
        Assert.Equal(0, native.Frees);
    }

    [Fact]
    public void TryRent_GivesTheSmallestKeptBlockThatFits()
    {
        var native = new CountingAllocator();
        using var memory = new PinnedMemory(native.Allocate, native.Free);
        var big = memory.TryRent(4000)!;
        var small = memory.TryRent(1000)!;
        big.Dispose();
        small.Dispose();

        using var again = memory.TryRent(900)!;
        using var bigAgain = memory.TryRent(3000)!;

        Assert.Equal(2, native.Allocations);
        Assert.Equal(native.Blocks[1], CountingAllocator.AddressOf(again.Memory));
        Assert.Equal(native.Blocks[0], CountingAllocator.AddressOf(bigAgain.Memory));
    }

    [Fact]
    public void TryRent_ReturnsNull_WhenTheMemoryCannotBePageLocked()
    {
        using var memory = new PinnedMemory(_ => 0, _ => throw new InvalidOperationException("nothing was allocated"));

        Assert.Null(memory.TryRent(1000));
    }

    [Fact]
    public void Dispose_FreesEveryBlock_KeptOrGivenBackLater_AndKeepsNoMoreThanTheLimit()
    {
        var native = new CountingAllocator();
        var memory = new PinnedMemory(native.Allocate, native.Free);
        var rented = Enumerable.Range(0, PinnedMemory.MaxKept + 3).Select(_ => memory.TryRent(100)!).ToList();
        rented.Skip(1).ToList().ForEach(block => block.Dispose());
        Assert.Equal(2, native.Frees); // ten given back, eight kept: beyond the limit a block is freed at once

        memory.Dispose();
        Assert.Equal(PinnedMemory.MaxKept + 2, native.Frees);
        rented[0].Dispose();
        rented[0].Dispose();

        Assert.Equal(native.Allocations, native.Frees);
        Assert.Throws<ObjectDisposedException>(() => memory.TryRent(100));
        Assert.Throws<ObjectDisposedException>(() => rented[0].Memory.Span.Length);
    }

    [Fact]
    public void FromCudaRuntime_NamesTheMissingLibrary_OrPageLocksABlock()
    {
        using var memory = PinnedMemory.FromCudaRuntime(out var reason);

        if (memory is null)
        {
            // This project's machines have no CUDA: the runner then says why and uses ordinary memory.
            Assert.Equal("cannot load libcudart.so.13", reason);
            return;
        }

        Assert.Null(reason);
        using var block = memory.TryRent(1 << 20);
        if (block is not null)
        {
            block.Memory.Span.Fill(1f);
            Assert.Equal(1 << 20, block.Memory.Span.ToArray().Sum(v => (int)v));
        }
    }

    private sealed class CountingAllocator
    {
        public List<nint> Blocks { get; } = [];

        public int Allocations => Blocks.Count;

        public int Frees { get; private set; }

        public unsafe nint Allocate(nuint bytes)
        {
            var pointer = (nint)NativeMemory.Alloc(bytes);
            Blocks.Add(pointer);
            return pointer;
        }

        public unsafe void Free(nint pointer)
        {
            Assert.Contains(pointer, Blocks);
            NativeMemory.Free((void*)pointer);
            Frees++;
        }

        public static unsafe nint AddressOf(Memory<float> memory)
        {
            using var handle = memory.Pin();
            return (nint)handle.Pointer;
        }
    }
}
