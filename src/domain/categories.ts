/**
 * The taxonomy each new timebank starts with: two levels, written for the exchanges time banks
 * actually record (care and companionship first: they are most of the hours).
 */
export const defaultCategoryTree: ReadonlyArray<{ name: string; children: readonly string[] }> = [
  {
    name: 'Care and companionship',
    children: ['Befriending and visits', 'Phone calls and check-ins', 'Respite for carers', 'Childcare', 'Pet care'],
  },
  {
    name: 'Transport',
    children: ['Lifts and driving', 'Accompanying to appointments', 'Deliveries and collections'],
  },
  {
    name: 'Home and garden',
    children: ['Gardening', 'Cleaning and tidying', 'Moving and decluttering', 'House-sitting'],
  },
  {
    name: 'Repairs and DIY',
    children: ['Small repairs', 'Sewing and mending', 'Bicycle repair', 'Appliances and electronics'],
  },
  {
    name: 'Learning and tutoring',
    children: ['Tutoring and homework help', 'Languages', 'Reading and writing', 'Music lessons'],
  },
  {
    name: 'Cooking and food',
    children: ['Cooking meals', 'Baking', 'Food shopping', 'Growing and preserving'],
  },
  {
    name: 'Admin and IT',
    children: ['Computer and phone help', 'Forms and letters', 'Bookkeeping', 'Translation'],
  },
  {
    name: 'Creative',
    children: ['Arts and crafts', 'Photography and video', 'Design', 'Writing and editing'],
  },
  {
    name: 'Health and wellbeing',
    children: ['Walking and exercise buddy', 'Listening and peer support', 'Recovery support', 'Relaxation'],
  },
  {
    name: 'Community events',
    children: ['Event help', 'Group activities', 'Hosting and catering', 'Work for the commons'],
  },
  {
    name: 'Advice and mentoring',
    children: ['Job search and CVs', 'Money and benefits guidance', 'Business mentoring'],
  },
];
