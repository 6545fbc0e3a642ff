//! The trace tree: events nested under the span that was open when they were recorded.
//!
//! It must finish on any input: a duplicate span id links only its first holder, a cycle is cut
//! so that one of its members becomes a root, and nesting deeper than `MAX_DEPTH` starts a new
//! root, which keeps writing the tree within a small, bounded stack.

use std::collections::HashMap;

use crate::ids::SpanId;

pub const MAX_DEPTH: usize = 256;

/// What the tree needs to know of one event.
pub struct NodeKey {
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub started_at: f64,
}

/// Node indices, each listed once: `roots`, and `children[i]` for node `i`, sorted by start.
pub struct Forest {
    pub roots: Vec<usize>,
    pub children: Vec<Vec<usize>>,
}

const UNSEEN: u8 = 0;
const ON_PATH: u8 = 1;
const DONE: u8 = 2;

pub fn build(keys: &[NodeKey]) -> Forest {
    let mut holder: HashMap<SpanId, usize> = HashMap::with_capacity(keys.len());
    for (index, key) in keys.iter().enumerate() {
        holder.entry(key.span_id).or_insert(index);
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
    cut_cycles(&mut parent);

    let mut forest = Forest {
        roots: Vec::new(),
        children: vec![Vec::new(); keys.len()],
    };
    for (index, p) in parent.iter().enumerate() {
        match p {
            Some(p) => forest.children[*p].push(index),
            None => forest.roots.push(index),
        }
    }
    limit_depth(&mut forest);
    let by_start = |a: &usize, b: &usize| keys[*a].started_at.total_cmp(&keys[*b].started_at);
    forest.roots.sort_by(by_start);
    for list in &mut forest.children {
        list.sort_by(by_start);
    }
    forest
}

/// Walks up from every node; a walk that meets its own path has found a cycle and cuts it there.
fn cut_cycles(parent: &mut [Option<usize>]) {
    let mut state = vec![UNSEEN; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut node = start;
        loop {
            match state[node] {
                DONE => break,
                ON_PATH => {
                    parent[node] = None;
                    break;
                }
                _ => {
                    state[node] = ON_PATH;
                    path.push(node);
                    match parent[node] {
                        Some(p) => node = p,
                        None => break,
                    }
                }
            }
        }
        for visited in path.drain(..) {
            state[visited] = DONE;
        }
    }
}

/// Moves every node at depth `MAX_DEPTH` to the roots, with its subtree.
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

/// Node indices in pre-order (each root, then its children, depth first).
pub fn pre_order(forest: &Forest) -> Vec<usize> {
    let mut order = Vec::with_capacity(forest.children.len());
    let mut stack: Vec<usize> = forest.roots.iter().rev().copied().collect();
    while let Some(node) = stack.pop() {
        order.push(node);
        stack.extend(forest.children[node].iter().rev());
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(span: u64, parent: Option<u64>, started_at: f64) -> NodeKey {
        NodeKey {
            span_id: SpanId(span),
            parent_span_id: parent.map(SpanId),
            started_at,
        }
    }

    fn count(forest: &Forest) -> usize {
        pre_order(forest).len()
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
        assert_eq!(pre_order(&forest), vec![3, 2, 1, 0]);
    }

    #[test]
    fn cycles_and_self_parents_terminate_with_every_node_once() {
        let keys = [
            key(1, Some(2), 1.0),
            key(2, Some(3), 2.0),
            key(3, Some(1), 3.0),
            key(4, Some(4), 4.0),
        ];
        let forest = build(&keys);
        assert_eq!(count(&forest), 4);
        assert!(forest.roots.contains(&3));
    }

    #[test]
    fn duplicate_ids_never_duplicate_nodes() {
        let keys = [key(1, None, 1.0), key(1, None, 2.0), key(2, Some(1), 3.0)];
        let forest = build(&keys);
        assert_eq!(count(&forest), 3);
        assert_eq!(forest.children[0], vec![2]);
    }

    #[test]
    fn deep_chains_are_split_into_bounded_trees() {
        let n = 3 * MAX_DEPTH as u64 + 7;
        let keys: Vec<NodeKey> = (1..=n)
            .map(|i| key(i, (i > 1).then(|| i - 1), i as f64))
            .collect();
        let forest = build(&keys);
        assert_eq!(count(&forest), n as usize);
        assert_eq!(forest.roots.len(), 4);
        let mut deepest = 0;
        let mut stack: Vec<(usize, usize)> = forest.roots.iter().map(|&r| (r, 1)).collect();
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            stack.extend(forest.children[node].iter().map(|&c| (c, depth + 1)));
        }
        assert!(deepest <= MAX_DEPTH);
    }
}
