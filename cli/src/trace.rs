//! Rebuilds the trace forest from span ids.
//!
//! The forest is always rebuilt instead of trusting a file's `trace_tree`: merged files have
//! no common tree, and real data has the defects the original builder tripped on. Here a
//! duplicate span id keeps its node but cannot adopt children (the first holder of the id
//! does), a self-parent or an unknown parent makes a root, and a parent cycle is cut at its
//! earliest-starting member, which becomes a root. Every span appears exactly once.

use std::collections::HashMap;

/// What the forest builder needs to know about one span.
pub struct Node<'a> {
    pub id: Option<&'a str>,
    pub parent: Option<&'a str>,
    pub started_at: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Anomaly {
    /// Another span earlier in the input already had this span id.
    DuplicateSpanId,
    /// The span's parent chain led back to itself; its parent link was dropped.
    ParentCycle,
}

pub struct Forest {
    /// Root spans, ordered by start time.
    pub roots: Vec<usize>,
    /// Children of each span, ordered by start time.
    pub children: Vec<Vec<usize>>,
    pub parent: Vec<Option<usize>>,
    pub anomaly: Vec<Option<Anomaly>>,
}

/// One step of a depth-first walk.
pub struct Visit {
    pub span: usize,
    pub depth: usize,
    /// Whether this span is the last child of its parent (or the last root).
    pub last: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unseen,
    OnPath,
    ReachesRoot,
}

pub fn build(nodes: &[Node<'_>]) -> Forest {
    let mut anomaly = vec![None; nodes.len()];
    let mut holder: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        if let Some(id) = node.id
            && *holder.entry(id).or_insert(i) != i
        {
            anomaly[i] = Some(Anomaly::DuplicateSpanId);
        }
    }
    let mut parent: Vec<Option<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            node.parent
                .and_then(|p| holder.get(p).copied())
                .filter(|&p| p != i)
        })
        .collect();
    break_cycles(nodes, &mut parent, &mut anomaly);

    let by_start = |a: &usize, b: &usize| nodes[*a].started_at.total_cmp(&nodes[*b].started_at);
    let mut roots = Vec::new();
    let mut children = vec![Vec::new(); nodes.len()];
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    roots.sort_by(by_start);
    for list in &mut children {
        list.sort_by(by_start);
    }
    Forest {
        roots,
        children,
        parent,
        anomaly,
    }
}

/// Follows parent links from every span; a walk that meets its own path has found a
/// cycle, which is cut at its earliest-starting member. Linear: each span is walked once.
fn break_cycles(nodes: &[Node<'_>], parent: &mut [Option<usize>], anomaly: &mut [Option<Anomaly>]) {
    let mut mark = vec![Mark::Unseen; nodes.len()];
    let mut path = Vec::new();
    for start in 0..nodes.len() {
        path.clear();
        let mut current = start;
        loop {
            match mark[current] {
                Mark::ReachesRoot => break,
                Mark::OnPath => {
                    let from = path.iter().position(|&span| span == current).unwrap_or(0);
                    let cut = path[from..]
                        .iter()
                        .copied()
                        .min_by(|a: &usize, b: &usize| {
                            nodes[*a].started_at.total_cmp(&nodes[*b].started_at)
                        })
                        .unwrap_or(current);
                    parent[cut] = None;
                    anomaly[cut] = Some(Anomaly::ParentCycle);
                    break;
                }
                Mark::Unseen => {
                    mark[current] = Mark::OnPath;
                    path.push(current);
                    match parent[current] {
                        Some(p) => current = p,
                        None => break,
                    }
                }
            }
        }
        for &span in &path {
            mark[span] = Mark::ReachesRoot;
        }
    }
}

impl Forest {
    /// Depth-first, children in start order, without recursion (chains can be deep).
    pub fn walk(&self, root: usize, mut visit: impl FnMut(Visit)) {
        let mut stack = vec![Visit {
            span: root,
            depth: 0,
            last: true,
        }];
        while let Some(step) = stack.pop() {
            let children = &self.children[step.span];
            for (k, &child) in children.iter().enumerate().rev() {
                stack.push(Visit {
                    span: child,
                    depth: step.depth + 1,
                    last: k + 1 == children.len(),
                });
            }
            visit(step);
        }
    }

    /// The root of the trace each span belongs to.
    pub fn trace_roots(&self) -> Vec<usize> {
        let mut root_of = vec![0; self.parent.len()];
        for &root in &self.roots {
            self.walk(root, |visit| root_of[visit.span] = root);
        }
        root_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node<'a>(id: &'a str, parent: Option<&'a str>, started_at: f64) -> Node<'a> {
        Node {
            id: Some(id),
            parent,
            started_at,
        }
    }

    fn order(forest: &Forest) -> Vec<(usize, usize)> {
        let mut seen = Vec::new();
        for &root in &forest.roots {
            forest.walk(root, |v| seen.push((v.span, v.depth)));
        }
        seen
    }

    #[test]
    fn nests_and_sorts_by_start() {
        let nodes = [
            node("c2", Some("p"), 3.0),
            node("c1", Some("p"), 2.0),
            node("p", None, 1.0),
            node("lone", None, 0.5),
        ];
        let forest = build(&nodes);
        assert_eq!(forest.roots, vec![3, 2]);
        assert_eq!(forest.children[2], vec![1, 0]);
        assert_eq!(order(&forest), vec![(3, 0), (2, 0), (1, 1), (0, 1)]);
        assert_eq!(forest.trace_roots(), vec![2, 2, 2, 3]);
    }

    #[test]
    fn self_parent_and_unknown_parent_become_roots() {
        let forest = build(&[node("a", Some("a"), 1.0), node("b", Some("missing"), 2.0)]);
        assert_eq!(forest.roots, vec![0, 1]);
        assert_eq!(forest.anomaly, vec![None, None]);
    }

    #[test]
    fn cycle_is_cut_at_earliest_member() {
        let nodes = [
            node("a", Some("c"), 3.0),
            node("b", Some("a"), 1.0),
            node("c", Some("b"), 2.0),
            node("leaf", Some("a"), 4.0),
        ];
        let forest = build(&nodes);
        assert_eq!(forest.roots, vec![1]);
        assert_eq!(forest.anomaly[1], Some(Anomaly::ParentCycle));
        assert_eq!(order(&forest), vec![(1, 0), (2, 1), (0, 2), (3, 3)]);
    }

    #[test]
    fn duplicate_ids_keep_both_nodes_and_first_adopts() {
        let nodes = [
            node("d", None, 1.0),
            node("d", None, 2.0),
            node("child", Some("d"), 1.5),
        ];
        let forest = build(&nodes);
        assert_eq!(forest.roots, vec![0, 1]);
        assert_eq!(forest.children[0], vec![2]);
        assert_eq!(forest.anomaly[1], Some(Anomaly::DuplicateSpanId));
    }

    #[test]
    fn spans_without_ids_are_roots() {
        let forest = build(&[
            Node {
                id: None,
                parent: None,
                started_at: 1.0,
            },
            node("x", None, 0.0),
        ]);
        assert_eq!(forest.roots, vec![1, 0]);
    }

    #[test]
    fn deep_chain_does_not_overflow() {
        let ids: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
        let nodes: Vec<Node> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Node {
                id: Some(id),
                parent: i.checked_sub(1).map(|p| ids[p].as_str()),
                started_at: i as f64,
            })
            .collect();
        let forest = build(&nodes);
        assert_eq!(forest.roots, vec![0]);
        assert_eq!(order(&forest).last(), Some(&(199_999, 199_999)));
    }
}
