import Testing

@testable import Proxy

@Suite struct TimerQueueTests {
    /// Due events come out earliest first, and in scheduling order among equal deadlines (a Timer B
    /// and the CANCEL scheduled after it at the same instant must fire in that order).
    @Test func popsDueEventsInDeadlineThenSchedulingOrder() {
        var queue = TimerQueue<String>()
        queue.schedule("c", at: 30)
        queue.schedule("a1", at: 10)
        queue.schedule("late", at: 1_000)
        queue.schedule("b", at: 20)
        queue.schedule("a2", at: 10)
        queue.schedule("a3", at: 10)
        #expect(queue.popDue(now: 5).isEmpty)
        #expect(queue.popDue(now: 20) == ["a1", "a2", "a3", "b"])
        #expect(queue.count == 2)
        #expect(queue.popDue(now: 999) == ["c"])
        #expect(queue.popDue(now: 1_000) == ["late"])
        #expect(queue.count == 0)
    }

    /// Many timers in random order still come out sorted.
    @Test func manyTimersComeOutSorted() {
        var queue = TimerQueue<Int>()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<5_000).map { _ in UInt64.random(in: 0..<1_000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() { queue.schedule(index, at: deadline) }
        let popped = queue.popDue(now: .max)
        #expect(popped.count == deadlines.count)
        let inOrder = zip(popped, popped.dropFirst()).allSatisfy { earlier, later in
            (deadlines[earlier], earlier) < (deadlines[later], later)
        }
        #expect(inOrder)
    }
}
