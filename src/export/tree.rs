//! The trace tree: events nested under the span that was open when they were recorded.
//!
//! One builder for the writer (over the store's numeric span ids) and for readers of export
//! files (over the ids as written, see the `aiobs` viewer). It must finish on any input, and
//! every span appears exactly once: a duplicate span id keeps its node but only its first
//! holder adopts children; a self-parent or an unknown parent makes a root; a parent cycle is
//! cut at its earliest-starting member, which becomes a root. Depth is bounded, so every walk
//! needs only a small stack: readers ([`build`]) start a new root past [`MAX_DEPTH`], and the
//! writer ([`build_for_export`]) keeps the export loadable by every JSON reader by writing
//! nodes deeper than [`WRITTEN_DEPTH`] at that depth.

use std::collections::HashMap;
use std::hash::Hash;

use crate::ids::SpanId;

/// The deepest a reader draws a tree: a root is at depth 1, and a node that would sit deeper
/// than `MAX_DEPTH` becomes a root itself, with its subtree.
pub const MAX_DEPTH: usize = 256;

/// Nested arrays and objects serde_json's default reader takes (it refuses the 128th); Python's
/// `json` and Go's `encoding/json` take far more.
const READER_NESTING: usize = 127;

/// The deepest `trace_tree` level the export writes (a root is at 1). A node at depth `d` is
/// the JSON object at level `1 + 2d` (the document, then `trace_tree` or `children` and a node
/// per level), and a caller's value in it (`args`, `request`, ...) may nest
/// `json_check::MAX_DEPTH` levels more: `1 + 2d + 64 <= 127` gives 31. Deeper nodes are written
/// at this depth, under their ancestor one level up; their events keep their true
/// `parent_span_id`, from which readers rebuild the whole tree.
pub const WRITTEN_DEPTH: usize = (READER_NESTING - 1 - crate::json_check::MAX_DEPTH) / 2;

// Flattening below the cut needs a parent to attach to.
const _: () = assert!(WRITTEN_DEPTH >= 2);

/// What the tree needs to know of one event. `K` is the span id type: `SpanId` in the store,
/// `&str` in a file.
pub struct NodeKey<K> {
    pub span_id: Option<K>,
    pub parent_span_id: Option<K>,
    pub started_at: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Anomaly {
    /// Another span earlier in the input already had this span id.
    DuplicateSpanId,
    /// The span's parent chain led back to itself; its parent link was dropped.
    ParentCycle,
}

/// Node indices, each listed once: `roots`, and `children[i]` for node `i`, sorted by start.
pub struct Forest {
    pub roots: Vec<usize>,
    pub children: Vec<Vec<usize>>,
    /// The parent of each node after cycles are cut; a node moved by the depth limit keeps its
    /// true parent here.
    pub parent: Vec<Option<usize>>,
    pub anomaly: Vec<Option<Anomaly>>,
    /// Nodes moved by the depth limit, in the order they were moved: by [`build`], the nodes
    /// that became roots because they sat `MAX_DEPTH` deep; by [`build_for_export`], the nodes
    /// written at `WRITTEN_DEPTH` although they sit deeper.
    pub depth_cut: Vec<usize>,
}

/// One step of a depth-first walk.
pub struct Visit {
    pub span: usize,
    /// 0 for the root.
    pub depth: usize,
    /// Whether this node is the last child of its parent (or the last root).
    pub last: bool,
}

impl SpanId {
    /// The store's keys for the tree.
    pub fn node_key(self, parent: Option<SpanId>, started_at: f64) -> NodeKey<SpanId> {
        NodeKey {
            span_id: Some(self),
            parent_span_id: parent,
            started_at,
        }
    }
}

/// The tree as readers draw it: nesting deeper than [`MAX_DEPTH`] starts a new root.
pub fn build<K: Copy + Eq + Hash>(keys: &[NodeKey<K>]) -> Forest {
    let mut forest = link(keys);
    limit_depth(&mut forest);
    sort_by_start(&mut forest, keys);
    forest
}

/// The tree as the export writes it: nodes deeper than [`WRITTEN_DEPTH`] are written at that
/// depth, among the children of their ancestor one level up.
pub fn build_for_export(keys: &[NodeKey<SpanId>]) -> Forest {
    let mut forest = link(keys);
    flatten_below(&mut forest, WRITTEN_DEPTH);
    sort_by_start(&mut forest, keys);
    forest
}

/// Nodes under their parents, with duplicates and cycles resolved; depth not yet limited.
fn link<K: Copy + Eq + Hash>(keys: &[NodeKey<K>]) -> Forest {
    let mut anomaly = vec![None; keys.len()];
    let mut holder: HashMap<K, usize> = HashMap::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        if let Some(id) = key.span_id
            && *holder.entry(id).or_insert(index) != index
        {
            anomaly[index] = Some(Anomaly::DuplicateSpanId);
        }
    }
    let mut parent: Vec<Option<usize>> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            key.parent_span_id
                .and_then(|p| holder.get(&p).copied())
                .filter(|&p| p != index)
        })
        .collect();
    cut_cycles(keys, &mut parent, &mut anomaly);

    let mut forest = Forest {
        roots: Vec::new(),
        children: vec![Vec::new(); keys.len()],
        parent,
        anomaly,
        depth_cut: Vec::new(),
    };
    for (index, p) in forest.parent.iter().enumerate() {
        match p {
            Some(p) => forest.children[*p].push(index),
            None => forest.roots.push(index),
        }
    }
    forest
}

fn sort_by_start<K>(forest: &mut Forest, keys: &[NodeKey<K>]) {
    let by_start = |a: &usize, b: &usize| keys[*a].started_at.total_cmp(&keys[*b].started_at);
    forest.roots.sort_by(by_start);
    for list in &mut forest.children {
        list.sort_by(by_start);
    }
}

/// Follows parent links from every node; a walk that meets its own path has found a cycle,
/// which is cut at its earliest-starting member. Linear: each node is walked once.
fn cut_cycles<K>(
    keys: &[NodeKey<K>],
    parent: &mut [Option<usize>],
    anomaly: &mut [Option<Anomaly>],
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::Unseen; keys.len()];
    let mut path = Vec::new();
    for start in 0..keys.len() {
        path.clear();
        let mut node = start;
        loop {
            match mark[node] {
                Mark::Done => break,
                Mark::OnPath => {
                    let from = path.iter().position(|&n| n == node).unwrap_or(0);
                    let cut = path[from..]
                        .iter()
                        .copied()
                        .min_by(|a: &usize, b: &usize| {
                            keys[*a].started_at.total_cmp(&keys[*b].started_at)
                        })
                        .unwrap_or(node);
                    parent[cut] = None;
                    anomaly[cut] = Some(Anomaly::ParentCycle);
                    break;
                }
                Mark::Unseen => {
                    mark[node] = Mark::OnPath;
                    path.push(node);
                    match parent[node] {
                        Some(p) => node = p,
                        None => break,
                    }
                }
            }
        }
        for &visited in &path {
            mark[visited] = Mark::Done;
        }
    }
}

/// Moves the children of every node at depth `MAX_DEPTH` to the roots, with their subtrees.
fn limit_depth(forest: &mut Forest) {
    let mut level: Vec<usize> = forest.roots.clone();
    let mut depth = 0;
    while !level.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for node in level {
            if depth == MAX_DEPTH {
                let moved = std::mem::take(&mut forest.children[node]);
                forest.roots.extend(moved.iter().copied());
                forest.depth_cut.extend(moved.iter().copied());
                next.extend(moved);
            } else {
                next.extend(forest.children[node].iter().copied());
            }
        }
        if depth == MAX_DEPTH {
            depth = 0;
        }
        level = next;
    }
}

/// Moves every descendant of a node at depth `cut` up beside that node, among the children of
/// its parent (at depth `cut - 1`), so no node sits deeper than `cut`.
fn flatten_below(forest: &mut Forest, cut: usize) {
    let mut level: Vec<usize> = forest.roots.clone();
    for _ in 1..cut - 1 {
        level = level
            .iter()
            .flat_map(|&node| forest.children[node].iter().copied())
            .collect();
    }
    // `level` holds the nodes at depth `cut - 1`: each adopts its grandchildren and deeper.
    for adopter in level {
        let mut pending = Vec::new();
        for k in 0..forest.children[adopter].len() {
            let child = forest.children[adopter][k];
            pending.append(&mut forest.children[child]);
        }
        while let Some(node) = pending.pop() {
            pending.append(&mut forest.children[node]);
            forest.children[adopter].push(node);
            forest.depth_cut.push(node);
        }
    }
}

impl Forest {
    /// Depth-first from `root`, children in start order, without recursion.
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

    /// Node indices in pre-order (each root, then its children, depth first).
    pub fn pre_order(&self) -> Vec<usize> {
        let mut order = Vec::with_capacity(self.children.len());
        for &root in &self.roots {
            self.walk(root, |visit| order.push(visit.span));
        }
        order
    }

    /// The root of the tree each node is drawn in.
    pub fn trace_roots(&self) -> Vec<usize> {
        let mut root_of = vec![0; self.children.len()];
        for &root in &self.roots {
            self.walk(root, |visit| root_of[visit.span] = root);
        }
        root_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(span: u64, parent: Option<u64>, started_at: f64) -> NodeKey<SpanId> {
        SpanId(span).node_key(parent.map(SpanId), started_at)
    }

    fn text<'a>(id: &'a str, parent: Option<&'a str>, started_at: f64) -> NodeKey<&'a str> {
        NodeKey {
            span_id: Some(id),
            parent_span_id: parent,
            started_at,
        }
    }

    fn with_depths(forest: &Forest) -> Vec<(usize, usize)> {
        let mut seen = Vec::new();
        for &root in &forest.roots {
            forest.walk(root, |v| seen.push((v.span, v.depth)));
        }
        seen
    }

    #[test]
    fn children_nest_under_parents_sorted_by_start() {
        let keys = [
            key(2, Some(1), 3.0),
            key(3, Some(1), 2.0),
            key(1, None, 1.0),
            key(4, Some(99), 0.5),
        ];
        let forest = build(&keys);
        assert_eq!(forest.roots, vec![3, 2]);
        assert_eq!(forest.children[2], vec![1, 0]);
        assert_eq!(forest.pre_order(), vec![3, 2, 1, 0]);
        assert_eq!(with_depths(&forest), vec![(3, 0), (2, 0), (1, 1), (0, 1)]);
        assert_eq!(forest.trace_roots(), vec![2, 2, 2, 3]);
    }

    #[test]
    fn self_parent_and_unknown_parent_become_roots() {
        let forest = build(&[text("a", Some("a"), 1.0), text("b", Some("missing"), 2.0)]);
        assert_eq!(forest.roots, vec![0, 1]);
        assert_eq!(forest.anomaly, vec![None, None]);
    }

    #[test]
    fn a_cycle_is_cut_at_its_earliest_member() {
        let keys = [
            text("a", Some("c"), 3.0),
            text("b", Some("a"), 1.0),
            text("c", Some("b"), 2.0),
            text("leaf", Some("a"), 4.0),
        ];
        let forest = build(&keys);
        assert_eq!(forest.roots, vec![1]);
        assert_eq!(forest.anomaly[1], Some(Anomaly::ParentCycle));
        assert_eq!(with_depths(&forest), vec![(1, 0), (2, 1), (0, 2), (3, 3)]);
    }

    #[test]
    fn duplicate_ids_keep_both_nodes_and_the_first_adopts() {
        let keys = [key(1, None, 1.0), key(1, None, 2.0), key(2, Some(1), 1.5)];
        let forest = build(&keys);
        assert_eq!(forest.roots, vec![0, 1]);
        assert_eq!(forest.children[0], vec![2]);
        assert_eq!(forest.anomaly[1], Some(Anomaly::DuplicateSpanId));
    }

    #[test]
    fn spans_without_ids_are_roots() {
        let keys = [
            NodeKey {
                span_id: None,
                parent_span_id: None,
                started_at: 1.0,
            },
            text("x", None, 0.0),
        ];
        assert_eq!(build(&keys).roots, vec![1, 0]);
    }

    #[test]
    fn deep_chains_are_split_into_bounded_trees() {
        let n = 3 * MAX_DEPTH as u64 + 7;
        let keys: Vec<NodeKey<SpanId>> = (1..=n)
            .map(|i| key(i, (i > 1).then(|| i - 1), i as f64))
            .collect();
        let forest = build(&keys);
        assert_eq!(forest.pre_order().len(), n as usize);
        assert_eq!(forest.roots.len(), 4);
        assert_eq!(forest.depth_cut, vec![256, 512, 768]);
        assert_eq!(forest.parent[256], Some(255), "the real parent is kept");
        let deepest = with_depths(&forest).iter().map(|(_, d)| *d).max();
        assert_eq!(deepest, Some(MAX_DEPTH - 1));
    }

    #[test]
    fn the_export_writes_deep_chains_at_the_cut_depth_under_one_ancestor() {
        let n = WRITTEN_DEPTH as u64 + 40;
        // A chain 1 <- 2 <- ... <- n, plus a sibling branch that stays shallow.
        let mut keys: Vec<NodeKey<SpanId>> = (1..=n)
            .map(|i| key(i, (i > 1).then(|| i - 1), i as f64))
            .collect();
        keys.push(key(1000, Some(1), 0.5));
        let forest = build_for_export(&keys);
        assert_eq!(forest.roots, vec![0]);
        assert_eq!(forest.pre_order().len(), keys.len());
        let depths = with_depths(&forest);
        let deepest = depths.iter().map(|(_, d)| *d).max();
        assert_eq!(deepest, Some(WRITTEN_DEPTH - 1), "depth 0 is the root");
        // The ancestor at WRITTEN_DEPTH - 1 holds its child and every deeper node, by start.
        let adopter = WRITTEN_DEPTH - 2;
        let expected: Vec<usize> = (adopter + 1..n as usize).collect();
        assert_eq!(forest.children[adopter], expected);
        assert_eq!(forest.depth_cut.len(), n as usize - WRITTEN_DEPTH);
        assert_eq!(
            forest.parent[n as usize - 1],
            Some(n as usize - 2),
            "true parent kept"
        );
        assert_eq!(forest.children[0], vec![keys.len() - 1, 1]);
    }

    #[test]
    fn the_export_leaves_shallow_trees_as_they_are() {
        let n = WRITTEN_DEPTH as u64;
        let keys: Vec<NodeKey<SpanId>> = (1..=n)
            .map(|i| key(i, (i > 1).then(|| i - 1), i as f64))
            .collect();
        let forest = build_for_export(&keys);
        assert!(forest.depth_cut.is_empty());
        let depths: Vec<usize> = with_depths(&forest).iter().map(|(_, d)| *d).collect();
        assert_eq!(depths, (0..n as usize).collect::<Vec<_>>());
    }

    #[test]
    fn a_long_chain_is_built_without_recursion() {
        let ids: Vec<String> = (0..200_000).map(|i| i.to_string()).collect();
        let keys: Vec<NodeKey<&str>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| text(id, i.checked_sub(1).map(|p| ids[p].as_str()), i as f64))
            .collect();
        let forest = build(&keys);
        assert_eq!(forest.pre_order().len(), 200_000);
        assert_eq!(forest.roots.len(), 200_000usize.div_ceil(MAX_DEPTH));
    }
}
