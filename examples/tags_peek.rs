use kith::build::{load, Format, LoadOptions};
fn main() {
    let d = load(Format::Goodbooks, std::path::Path::new("data/goodbooks"), LoadOptions::default()).unwrap();
    let mut vocab = std::collections::HashMap::<String, usize>::new();
    for i in d.catalog.items() { for t in &i.tags { *vocab.entry(t.clone()).or_default() += 1; } }
    let mut v: Vec<_> = vocab.into_iter().collect(); v.sort_by(|a,b| b.1.cmp(&a.1));
    println!("vocab {} tags; untagged books {}", v.len(), d.catalog.items().iter().filter(|i| i.tags.is_empty()).count());
    for (t,c) in &v { print!("{t}:{c} "); } println!();
    for idx in [0u32, 1, 2, 3, 100, 500, 1000, 5000, 9999] { let i = d.catalog.get(idx).unwrap(); println!("{} | {:?} | {:?} | {:?}", i.title, i.creators, i.tags, i.series); }
    if let Some(i) = d.catalog.items().iter().find(|i| i.title.starts_with("Dune (")) { println!("{} {:?}", i.title, i.tags); }
    println!("{:?} users {} entries {}", d.report, d.interactions.users.len(), d.interactions.entries.len());
}
