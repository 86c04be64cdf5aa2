using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class RoutingGuaranteeTests
{
    [Test]
    public void Store_claim_is_refused_when_either_side_changed_since_it_was_read()
    {
        var store = new InMemoryAcdStateStore();
        var agent = new AcdAgent { AgentId = "a", State = AgentState.Available, Version = 1 };
        var call = new AcdCall { CallId = "c", State = CallState.Waiting, Version = 1 };
        store.SaveAgent(agent);
        store.SaveCall(call);
        var reserved = agent with { State = AgentState.Reserved, CallId = "c", Version = 2 };
        var offered = call with { State = CallState.Offered, AgentId = "a", Version = 2 };

        Assert.That(store.TryClaim(agent, call, reserved, offered), Is.True);
        Assert.That(store.TryClaim(agent, call, reserved, offered), Is.False, "the same claim twice");
        Assert.That(store.FindAgent("a"), Is.SameAs(reserved));
        Assert.That(store.PeekBestWaiting([0]), Is.Null);
    }

    [Test]
    public void Store_claim_of_a_call_already_offered_to_another_agent_is_refused()
    {
        var store = new InMemoryAcdStateStore();
        var alice = new AcdAgent { AgentId = "alice", State = AgentState.Available, Version = 1 };
        var bob = new AcdAgent { AgentId = "bob", State = AgentState.Available, Version = 1 };
        var call = new AcdCall { CallId = "c", State = CallState.Waiting, Version = 1 };
        var other = new AcdCall { CallId = "d", State = CallState.Waiting, Sequence = 2, Version = 1 };
        store.SaveAgent(alice);
        store.SaveAgent(bob);
        store.SaveCall(call);
        store.SaveCall(other);

        var first = store.TryClaim(alice, call, alice with { State = AgentState.Reserved, CallId = "c", Version = 2 }, call with { State = CallState.Offered, AgentId = "alice", Version = 2 });
        var sameCallToBob = store.TryClaim(bob, call, bob with { State = AgentState.Reserved, CallId = "c", Version = 2 }, call with { State = CallState.Offered, AgentId = "bob", Version = 2 });
        var secondCallToAlice = store.TryClaim(alice, other, alice with { State = AgentState.Reserved, CallId = "d", Version = 2 }, other with { State = CallState.Offered, AgentId = "alice", Version = 2 });

        Assert.That((first, sameCallToBob, secondCallToAlice), Is.EqualTo((true, false, false)));
        Assert.That(store.FindAgent("bob")!.State, Is.EqualTo(AgentState.Available));
        Assert.That(store.FindCall("c")!.AgentId, Is.EqualTo("alice"));
        Assert.That(store.FindCall("d")!.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void Random_traffic_never_double_assigns_and_never_leaves_an_eligible_agent_idle_beside_a_waiting_call()
    {
        string[] skills = ["cards", "loans", "fraud", "english", "french"];
        var queues = new[]
        {
            Queue("cards", ("cards", 2)) with { WrapUpTime = TimeSpan.FromSeconds(10), MaxQueueSize = 15 },
            Queue("loans-fr", ("loans", 1), ("french", 3)) with
            {
                Escalations = [new EscalationStepOptions { After = TimeSpan.FromSeconds(40), Action = EscalationAction.WidenProficiency, WidenBy = 2 }],
            },
            Queue("fraud", ("fraud", 4)) with
            {
                MaxWait = TimeSpan.FromMinutes(3), MaxWaitOutcome = QueueLimitOutcome.Overflow, OverflowQueue = "cards",
                Escalations = [new EscalationStepOptions { After = TimeSpan.FromSeconds(60), Action = EscalationAction.AddSkillGroup, SkillGroup = [new() { Skill = "english", MinLevel = 4 }] }],
            },
        };
        var acd = new AcdHarness(queues);
        var random = new Random(20261127);
        var agents = Enumerable.Range(0, 12).Select(i => $"agent-{i}").ToArray();
        var nextCall = 0;
        var offersPerCall = new Dictionary<string, int>();

        for (var step = 0; step < 5000; step++)
        {
            var agentId = agents[random.Next(agents.Length)];
            var agent = acd.Engine.FindAgent(agentId);
            AcdDecisions? decisions = null;
            switch (random.Next(8))
            {
                case 0:
                    decisions = acd.Call($"c{nextCall++}", queues[random.Next(queues.Length)].Name, (CustomerTier)random.Next(4), random.Next(5) == 0);
                    break;
                case 1 when agent is null || agent.State == AgentState.Offline:
                    decisions = acd.Login(agentId, [.. skills.Where(_ => random.Next(2) == 0).Select(s => (s, random.Next(1, 6)))]);
                    break;
                case 2 when agent?.State == AgentState.Reserved:
                    decisions = random.Next(4) == 0 ? acd.Engine.Decline(agentId, agent.CallId!, acd.Now) : acd.Engine.Accept(agentId, agent.CallId!, acd.Now);
                    break;
                case 3 when agent?.State == AgentState.OnCall:
                    decisions = acd.Engine.EndCall(agentId, agent.CallId!, acd.Now);
                    break;
                case 4 when agent?.State is AgentState.Break:
                    decisions = random.Next(3) == 0 ? acd.Engine.Logout(agentId, acd.Now) : acd.Engine.EndBreak(agentId, acd.Now);
                    break;
                case 5 when nextCall > 0 && acd.Engine.FindCall($"c{random.Next(nextCall)}") is { State: not CallState.Connected } hangingUp:
                    decisions = acd.Engine.Abandon(hangingUp.CallId, acd.Now);
                    break;
                case 6:
                    decisions = acd.AdvanceSeconds(random.Next(1, 15));
                    break;
                case 7 when agent?.State is AgentState.Available or AgentState.WrapUp:
                    decisions = acd.Engine.StartBreak(agentId, "rest", acd.Now);
                    break;
                default:
                    break;
            }
            foreach (var offer in decisions?.Offers ?? [])
                offersPerCall[offer.CallId] = offersPerCall.GetValueOrDefault(offer.CallId) + 1;
            AssertConsistent(acd, agents, nextCall, step);
        }

        Assert.That(offersPerCall, Is.Not.Empty);
    }

    private static void AssertConsistent(AcdHarness acd, string[] agentIds, int calls, int step)
    {
        var agents = agentIds.Select(acd.Engine.FindAgent).OfType<AcdAgent>().ToList();
        var holding = agents.Where(a => a.State is AgentState.Reserved or AgentState.OnCall).ToList();
        Assert.That(holding.Select(a => a.CallId), Is.Unique, $"step {step}: a call held by two agents");
        foreach (var agent in holding)
        {
            var call = acd.Engine.FindCall(agent.CallId!);
            Assert.That(call?.AgentId, Is.EqualTo(agent.AgentId), $"step {step}: {agent.AgentId} holds a call that is not its own");
        }
        var waiting = Enumerable.Range(0, calls).Select(i => acd.Engine.FindCall($"c{i}")).OfType<AcdCall>().ToList();
        foreach (var call in waiting.Where(c => c.State != CallState.Waiting))
            Assert.That(holding.Count(a => a.CallId == call.CallId), Is.EqualTo(1), $"step {step}: {call.CallId} offered but not held by exactly one agent");
        var idle = agents.Where(a => a.State == AgentState.Available).ToList();
        foreach (var call in waiting.Where(c => c.State == CallState.Waiting))
            Assert.That(idle.Where(a => a.EligibleTiers.Contains(call.TierId)).Select(a => a.AgentId), Is.Empty, $"step {step}: {call.CallId} waits beside an eligible idle agent");
    }
}
